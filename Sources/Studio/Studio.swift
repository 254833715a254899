// The Studio module: see README.md, Architecture.
