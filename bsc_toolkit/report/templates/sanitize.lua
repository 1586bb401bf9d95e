-- sanitize.lua: make Markdown written by a user or an LLM safe to include in a report.
-- Run by bsc_toolkit.report._markdown.sanitize_markdown (with raw HTML, raw attributes,
-- YAML blocks, fenced divs and citations already switched off in the reader).
-- Drops images (nothing local can be embedded), raw content and non-web links, and
-- removes identifiers so nothing can collide with the report's own cross references.

local function safe_target(url)
  local u = url:lower():gsub("^%s+", "")
  return u:match("^https?://") or u:match("^mailto:")
end

return {
  {
    RawInline = function(_) return {} end,
    RawBlock = function(_) return {} end,
    Image = function(el) return pandoc.Emph(el.caption) end,
    Link = function(el)
      if safe_target(el.target) then
        el.attr = pandoc.Attr()
        return el
      end
      return el.content
    end,
    Header = function(el)
      el.attr = pandoc.Attr()
      return el
    end,
    Div = function(el) return el.content end,
    Span = function(el) return el.content end,
    CodeBlock = function(el)
      el.attr = pandoc.Attr()
      return el
    end,
    Code = function(el)
      el.attr = pandoc.Attr()
      return el
    end,
  },
}
