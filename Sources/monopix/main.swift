print("monopix")
