-- bsc.lua: Quarto markup that plain pandoc does not know, for bsc-toolkit reports.
--
--  * callouts  ::: {.callout-note title="..."}  (or a first heading as the title)
--      html  -> <div class="callout callout-note"><div class="callout-title">..</div>..</div>
--      typst -> a block with a coloured left stroke and a bold title
--      docx  -> a bold title paragraph followed by the content
--  * cross references  @fig-x / @tbl-x / @sec-x  -> "Figure 1" / "Table 2" / section title,
--      with "Figure 1: " / "Table 2: " put in front of the numbered captions
--  (badges and table line breaks are done by shared.lua, which Quarto runs too)
-- Colours come from the metadata field `bsc-colours` (set by the report builder).

local fmt = FORMAT
local is_html = fmt:match("html") ~= nil
local is_typst = fmt:match("typst") ~= nil
local is_docx = fmt:match("docx") ~= nil

local colours = {}           -- class name -> hex colour (without #)
local labels = {}            -- id -> {kind=..., number=..., text=...}
local callout_titles = {
  note = "Note", tip = "Tip", warning = "Warning", important = "Important", caution = "Caution",
}

local function hex(c) return (c or "#777777"):gsub("^#", "") end

local function read_colours(meta)
  local m = meta["bsc-colours"]
  if m == nil then return end
  if type(m) == "string" or pandoc.utils.type(m) ~= "table" then
    m = pandoc.json.decode(pandoc.utils.stringify(m), false)
  end
  for k, v in pairs(m) do
    colours[k] = hex(type(v) == "string" and v or pandoc.utils.stringify(v))
  end
end

-- ---------------------------------------------------------------- numbering
local function prefix_caption(caption, text)
  -- caption.long is a list of blocks; put "Figure 1: " in front of the first one
  local pre = pandoc.Inlines({ pandoc.Strong({ pandoc.Str(text .. ":") }), pandoc.Space() })
  if #caption.long == 0 then
    caption.long = pandoc.Blocks({ pandoc.Plain(pandoc.Inlines({ pandoc.Strong({ pandoc.Str(text) }) })) })
    return caption
  end
  local first = caption.long[1]
  if first.content ~= nil then
    local inl = pandoc.Inlines(pre)
    inl:extend(first.content)
    first.content = inl
    caption.long[1] = first
  end
  return caption
end

local function number_things(doc)
  local nfig, ntbl = 0, 0
  doc = doc:walk({
    traverse = "topdown",
    Figure = function(el)
      if el.identifier:match("^fig%-") then
        nfig = nfig + 1
        local text = "Figure " .. nfig
        labels[el.identifier] = { kind = "fig", number = nfig, text = text }
        el.caption = prefix_caption(el.caption, text)
        return el
      end
    end,
    Table = function(el)
      if el.identifier:match("^tbl%-") then
        ntbl = ntbl + 1
        local text = "Table " .. ntbl
        labels[el.identifier] = { kind = "tbl", number = ntbl, text = text }
        el.caption = prefix_caption(el.caption, text)
        return el
      end
    end,
    Header = function(el)
      if el.identifier:match("^sec%-") then
        labels[el.identifier] = { kind = "sec", text = pandoc.utils.stringify(el.content) }
      end
    end,
  })
  return doc
end

local function resolve_cite(el)
  local out = pandoc.Inlines({})
  local all_known = true
  for i, c in ipairs(el.citations) do
    local lab = labels[c.id]
    if lab == nil then
      if c.id:match("^fig%-") or c.id:match("^tbl%-") or c.id:match("^sec%-") then
        io.stderr:write("bsc.lua: WARNING unresolved cross reference @" .. c.id .. "\n")
        out:insert(pandoc.Strong({ pandoc.Str("?@" .. c.id) }))
      else
        all_known = false
      end
    else
      if i > 1 then out:insert(pandoc.Str(", ")) end
      out:insert(pandoc.Link({ pandoc.Str(lab.text) }, "#" .. c.id))
    end
  end
  if not all_known then return nil end
  return out
end

-- ---------------------------------------------------------------- callouts
local function callout_kind(el)
  for _, cls in ipairs(el.classes) do
    local k = cls:match("^callout%-(%a+)$")
    if k then return k end
  end
  return nil
end

local function callout(el)
  local kind = callout_kind(el)
  if kind == nil then return nil end
  local blocks = el.content
  local title_inlines
  if el.attributes.title ~= nil then
    title_inlines = pandoc.Inlines({ pandoc.Str(el.attributes.title) })
  elseif #blocks > 0 and blocks[1].t == "Header" then
    title_inlines = blocks[1].content
    blocks = pandoc.Blocks({ table.unpack(blocks, 2) })
  else
    title_inlines = pandoc.Inlines({ pandoc.Str(callout_titles[kind] or "Note") })
  end
  local colour = colours["callout-" .. kind] or "0072B2"
  if is_html then
    local title = pandoc.Div({ pandoc.Plain(title_inlines) }, pandoc.Attr("", { "callout-title" }))
    local body = pandoc.Blocks({ title })
    body:extend(blocks)
    return pandoc.Div(body, pandoc.Attr(el.identifier, { "callout", "callout-" .. kind }))
  elseif is_typst then
    local out = pandoc.Blocks({
      pandoc.RawBlock("typst", '#block(width: 100%, inset: (x: 10pt, y: 8pt), radius: (right: 3pt), '
        .. 'fill: rgb("#' .. colour .. '").lighten(92%), stroke: (left: 3pt + rgb("#' .. colour .. '")), '
        .. 'breakable: true)['),
    })
    local title = pandoc.Inlines({ pandoc.RawInline("typst", '#text(fill: rgb("#' .. colour .. '"), weight: "bold")[') })
    title:extend(title_inlines)
    title:insert(pandoc.RawInline("typst", "]"))
    out:insert(pandoc.Para(title))
    out:extend(blocks)
    out:insert(pandoc.RawBlock("typst", "]"))
    return out
  else
    local out = pandoc.Blocks({ pandoc.Para({ pandoc.Strong(title_inlines) }) })
    out:extend(blocks)
    if is_docx then
      return pandoc.Div(out, pandoc.Attr("", {}, { ["custom-style"] = "Callout" }))
    end
    return out
  end
end

function Pandoc(doc)
  read_colours(doc.meta)
  doc = number_things(doc)
  doc = doc:walk({ Cite = resolve_cite })
  doc = doc:walk({ Div = callout })
  return doc
end
