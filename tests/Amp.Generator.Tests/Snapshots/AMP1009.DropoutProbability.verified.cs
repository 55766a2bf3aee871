// AMP1009 (Error) at Model0.cs(4,114): Argument 'p' of 'Dropout' is 1; a dropout probability is in [0, 1)
// at: 1f
