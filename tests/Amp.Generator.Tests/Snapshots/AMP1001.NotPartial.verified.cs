// AMP1001 (Error) at Model0.cs(4,41): 'M' must be declared partial so that Amp can add its plan and compiled code
// at: M
