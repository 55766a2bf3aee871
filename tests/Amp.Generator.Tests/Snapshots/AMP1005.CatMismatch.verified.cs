// AMP1005 (Error) at Model0.cs(4,137): Cat: expected tensors that match [Batch, 3, 4] outside dim -1, got [Batch, 2, 4]
// at: Cat([x, y], -1)
