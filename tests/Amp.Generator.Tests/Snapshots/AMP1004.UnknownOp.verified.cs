// AMP1004 (Error) at Model0.cs(4,103): 'Helpers.Twice' is not an Amp op, a layer, a module or a method of this model
// at: Helpers.Twice(x)
