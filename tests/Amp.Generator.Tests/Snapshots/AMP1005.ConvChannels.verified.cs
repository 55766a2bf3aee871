// AMP1005 (Error) at Model0.cs(4,146): conv (Conv2d 3 -> 8, kernel 3): expected [Batch, 3, H, W] with H and W at least 3 (kernel 3, stride 1, padding 0, dilation 1), got [Batch, 1, 8, 8]
// at: conv.Apply(x)
