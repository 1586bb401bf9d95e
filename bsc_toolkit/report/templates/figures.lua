-- figures.lua: use the PNG version of a figure in formats that are not HTML.
-- Charts and strategy maps are written twice (figures/x.svg and figures/x.png);
-- the document refers to the SVG, which is sharpest on the web. Quarto runs this
-- filter too (it is listed under `filters:` in the front matter).

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() return true end
  return false
end

local is_html = FORMAT:match("html") ~= nil or FORMAT:match("revealjs") ~= nil

function Image(el)
  if is_html then return nil end
  local src = el.src
  if src:match("%.svg$") then
    local png = src:gsub("%.svg$", ".png")
    if exists(png) then
      el.src = png
      return el
    end
  end
  return nil
end
