"""Municipality, gebieden (areas), wijken (neighbourhoods) and buurten (districts)."""
