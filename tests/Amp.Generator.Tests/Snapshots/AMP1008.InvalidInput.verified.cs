// AMP1008 (Error) at Model0.cs(4,104): Input 'x': declare [Shape(Batch, ...)]: the first dimension is the symbolic Batch and every other one a positive constant
// at: [Shape(4)] Tensor x
