// AMP1009 (Error) at Model0.cs(4,89): Argument 'groups' of 'Conv2d conv' is 3; groups must divide inChannels (4) and outChannels (8)
// at: groups: 3
