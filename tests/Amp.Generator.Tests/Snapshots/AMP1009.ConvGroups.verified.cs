// AMP1009 (Error) at Model0.cs(4,89): Argument 'groups' of 'Conv2d conv' is 2; groups other than 1 are not supported yet
// at: groups: 2
