// The ImageIO module: see README.md, Architecture.
