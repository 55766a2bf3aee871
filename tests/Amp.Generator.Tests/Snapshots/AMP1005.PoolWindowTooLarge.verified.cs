// AMP1005 (Error) at Model0.cs(4,109): MaxPool2d: expected [Batch, C, H, W] with H and W at least kernel 3 (stride 3, padding 0), got [Batch, 3, 2, 2]
// at: MaxPool2d(x, 3)
