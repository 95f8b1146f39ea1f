#!/bin/sh
# Draws the app icon (512×512 PNG) with ImageMagick: a rounded dark tile, three stacked
# cells (an LSTM layer stack) and a falling loss curve. Re-run to regenerate.
set -e
cd "$(dirname "$0")"
"${CONVERT:-convert}" -size 512x512 xc:none \
  -fill "#1b2230" -draw "roundrectangle 16,16 496,496 96,96" \
  -fill '#2f81f7' -draw 'roundrectangle 96,280 416,350 24,24' \
  -fill '#3fb950' -draw 'roundrectangle 96,180 416,250 24,24' \
  -fill '#d29922' -draw 'roundrectangle 96,80 416,150 24,24' \
  -stroke '#f0f6fc' -strokewidth 16 -draw 'stroke-linecap round stroke-linejoin round line 112,392 136,410 line 136,410 160,423 line 160,423 184,432 line 184,432 208,439 line 208,439 232,444 line 232,444 256,447 line 256,447 280,450 line 280,450 304,452 line 304,452 328,453 line 328,453 352,454 line 352,454 376,454 line 376,454 400,455' \
  icon.png
