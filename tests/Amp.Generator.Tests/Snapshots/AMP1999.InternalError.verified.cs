// AMP1999 (Error) at Model0.cs(4,49): The Amp generator failed on 'Faulty': InvalidOperationException: injected fault
// at: 
