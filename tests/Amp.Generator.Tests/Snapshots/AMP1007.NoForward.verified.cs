// AMP1007 (Error) at Model0.cs(4,49): 'M' has no [Forward] method; mark the method that computes the model's output with [Forward]
// at: M
