-- sanitize.lua: make Markdown written by a user or an LLM safe to include in a report.
-- Run by bsc_toolkit.report._markdown.sanitize_markdown, which parses the text with every
-- extension the final render enables (raw HTML, {=format} raw blocks, attributes on links,
-- code and headings, fenced divs, citations), so everything that would be markup there is
-- an element here and is dropped or defused:
--   raw HTML / typst / LaTeX blocks and inlines  -> removed
--   images                                        -> their caption in italics (nothing is embedded)
--   links other than http(s) and mailto           -> their text
--   attributes ({onclick=...}, {#id .class})      -> removed from links, code, headings
--   divs and spans                                -> their content
--   citations and @cross-references               -> their text (escaped on output)
--   math                                          -> inline code (no TeX reaches typst)
--   doubled braces ({{ }})                        -> a word joiner between, so no Quarto shortcode

local WJ = "\u{2060}"

local function safe_target(url)
  local u = url:lower():gsub("^%s+", "")
  return u:match("^https?://") or u:match("^mailto:")
end

local function unbrace(s)
  local out = s:gsub("{{", "{" .. WJ .. "{"):gsub("}}", "}" .. WJ .. "}")
  -- a second pass catches runs of three or more braces
  return (out:gsub("{{", "{" .. WJ .. "{"):gsub("}}", "}" .. WJ .. "}"))
end

return {
  {
    RawInline = function(_) return {} end,
    RawBlock = function(_) return {} end,
    Image = function(el) return pandoc.Emph(el.caption) end,
    Link = function(el)
      if safe_target(el.target) then
        el.attr = pandoc.Attr()
        el.title = ""
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
    -- the writer does not always escape "@" after a bracket; a word joiner after it means no
    -- citation or cross reference can form when the report is rendered
    Cite = function(el)
      return el.content:walk({ Str = function(s) s.text = s.text:gsub("@", "@" .. WJ) return s end })
    end,
    Math = function(el) return pandoc.Code(el.text) end,
    CodeBlock = function(el)
      el.attr = pandoc.Attr()
      el.text = unbrace(el.text)
      return el
    end,
    Code = function(el)
      el.attr = pandoc.Attr()
      el.text = unbrace(el.text)
      return el
    end,
    Str = function(el)
      if el.text:find("{{", 1, true) or el.text:find("}}", 1, true) then
        el.text = unbrace(el.text)
        return el
      end
    end,
  },
}
