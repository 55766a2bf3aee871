namespace Amp;

internal static class SpanChecks
{
    public static void SameLength(int expected, int actual, string parameterName)
    {
        if (expected != actual)
        {
            throw new ArgumentException(
                $"'{parameterName}' has {actual} elements but the source has {expected}; they must be equal.",
                parameterName);
        }
    }
}
