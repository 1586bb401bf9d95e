-- shared.lua: the parts of the bsc-toolkit look that both renderers need from a filter.
-- Quarto runs it (listed under `filters:` in the front matter) and so does the pandoc
-- fallback, so badges and tables look the same in both.
--
--  * badges  [[S]{.badge-letter} supported]{.badge .verdict-supported}
--      typst -> a coloured box with the letter in bold and the label
--      docx  -> shaded runs (letter bold)
--      html  -> unchanged: report.css colours the span
--  * long identifiers in table cells (on_shelf_availability, a/b/c) get break
--    opportunities after '_' and '/' in typst, so they wrap instead of running
--    into the next column
-- Colours come from the metadata fields `bsc-colours` (class -> hex) and
-- `bsc-light-badges` (classes with dark text), set by the report builder.

local fmt = FORMAT
local is_typst = fmt:match("typst") ~= nil
local is_docx = fmt:match("docx") ~= nil

local colours = {}
local light = {}

local function hex(c) return ((c or "#777777"):gsub("^#", ""):upper()) end

local function xml_escape(s)
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"))
end

local function as_table(m)
  if m == nil then return {} end
  if type(m) == "string" or pandoc.utils.type(m) ~= "table" then
    return pandoc.json.decode(pandoc.utils.stringify(m), false) or {}
  end
  return m
end

local function read_meta(meta)
  for k, v in pairs(as_table(meta["bsc-colours"])) do
    colours[k] = hex(type(v) == "string" and v or pandoc.utils.stringify(v))
  end
  for _, v in ipairs(as_table(meta["bsc-light-badges"])) do
    light[type(v) == "string" and v or pandoc.utils.stringify(v)] = true
  end
end

local function badge(el)
  if not el.classes:includes("badge") then return nil end
  local key = ""
  for _, cls in ipairs(el.classes) do
    if cls ~= "badge" then key = cls end
  end
  local letter = ""
  local label = pandoc.Inlines({})
  for _, x in ipairs(el.content) do
    if x.t == "Span" and x.classes:includes("badge-letter") then
      letter = pandoc.utils.stringify(x.content)
    else
      label:insert(x)
    end
  end
  while #label > 0 and (label[1].t == "Space" or label[1].t == "SoftBreak") do label:remove(1) end
  local colour = colours[key] or "777777"
  local fg = light[key] and "222222" or "FFFFFF"
  if is_typst then
    local out = pandoc.Inlines({ pandoc.RawInline("typst",
      '#box(fill: rgb("#' .. colour .. '"), inset: (x: 3pt, y: 0pt), outset: (y: 2pt), radius: 2pt)'
      .. '[#text(fill: rgb("#' .. fg .. '"), size: 0.85em)[#strong[') })
    out:insert(pandoc.Str(letter))
    out:insert(pandoc.RawInline("typst", "] "))
    out:extend(label)
    out:insert(pandoc.RawInline("typst", "]]"))
    return out
  elseif is_docx then
    local props = '<w:rPr><w:color w:val="' .. fg .. '"/><w:shd w:val="clear" w:color="auto" w:fill="'
      .. colour .. '"/>'
    local txt = xml_escape(pandoc.utils.stringify(label))
    return pandoc.RawInline("openxml",
      '<w:r>' .. props .. '<w:b/></w:rPr><w:t xml:space="preserve"> ' .. xml_escape(letter) .. ' </w:t></w:r>'
      .. '<w:r>' .. props .. '</w:rPr><w:t xml:space="preserve">' .. txt .. ' </w:t></w:r>')
  end
  return nil
end

local ZWSP = "\u{200B}"

local function breakable(el)
  local s = el.text
  if #s < 14 or not (s:find("_", 1, true) or s:find("/", 1, true)) then return nil end
  el.text = s:gsub("([_/])", "%1" .. ZWSP)
  return el
end

local function table_breaks(tbl)
  return tbl:walk({ Str = breakable })
end

function Pandoc(doc)
  read_meta(doc.meta)
  doc = doc:walk({ Span = badge })
  if is_typst then
    doc = doc:walk({ Table = table_breaks })
  end
  return doc
end
