using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace Amp.Generator.Parsing;

/// <summary>
/// Compile-time values of the expressions a definition may use where a constant goes: C# constants, and inside a
/// [Module] with a primary constructor its parameters, bound per instance (<c>new Block(128, 4)</c>), and arithmetic on
/// them (<c>4 * d</c>, <c>d / heads</c>), and the variable of a <c>for</c> loop being unrolled (<c>blocks[i]</c>).
/// Nothing else: a value the generator cannot fold is reported by the caller.
/// </summary>
internal static class ConstantFolder
{
    /// <summary>The value of <paramref name="operation"/> under <paramref name="arguments"/> and the unrolled loops' <paramref name="loops"/>, or no value.</summary>
    public static Optional<object?> Fold(IOperation? operation, IReadOnlyDictionary<IParameterSymbol, object?> arguments, IReadOnlyDictionary<ILocalSymbol, int>? loops = null)
    {
        if (operation is null)
        {
            return default;
        }

        if (operation.ConstantValue.HasValue)
        {
            return operation.ConstantValue;
        }

        switch (operation)
        {
            case IParameterReferenceOperation reference when arguments.TryGetValue(reference.Parameter, out object? bound):
                return new Optional<object?>(bound);
            case ILocalReferenceOperation local when loops is not null && loops.TryGetValue(local.Local, out int step):
                return new Optional<object?>(step);
            case IConversionOperation conversion when Fold(conversion.Operand, arguments, loops) is { HasValue: true } inner:
                return Convert(inner.Value, conversion.Type);
            case IParenthesizedOperation parenthesized:
                return Fold(parenthesized.Operand, arguments, loops);
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Minus } negation when Fold(negation.Operand, arguments, loops) is { HasValue: true } operand:
                return operand.Value switch
                {
                    int i => new Optional<object?>(-i),
                    float f => new Optional<object?>(-f),
                    double d => new Optional<object?>(-d),
                    _ => default,
                };
            case IUnaryOperation { OperatorKind: UnaryOperatorKind.Plus } plus:
                return Fold(plus.Operand, arguments, loops);
            case IBinaryOperation binary
                when Fold(binary.LeftOperand, arguments, loops) is { HasValue: true } left && Fold(binary.RightOperand, arguments, loops) is { HasValue: true } right:
                return Binary(binary.OperatorKind, left.Value, right.Value, binary.Type);
            default:
                return default;
        }
    }

    private static Optional<object?> Binary(BinaryOperatorKind kind, object? left, object? right, ITypeSymbol? type)
    {
        if (left is int a && right is int b && type?.SpecialType == SpecialType.System_Int32)
        {
            // Checked: an overflow or a division by zero folds to nothing (the caller reports the argument).
            try
            {
                return kind switch
                {
                    BinaryOperatorKind.Add => new Optional<object?>(checked(a + b)),
                    BinaryOperatorKind.Subtract => new Optional<object?>(checked(a - b)),
                    BinaryOperatorKind.Multiply => new Optional<object?>(checked(a * b)),
                    BinaryOperatorKind.Divide when b != 0 => new Optional<object?>(a / b),
                    BinaryOperatorKind.Remainder when b != 0 => new Optional<object?>(a % b),
                    _ => default,
                };
            }
            catch (OverflowException)
            {
                return default;
            }
        }

        if (left is not (int or float or double) || right is not (int or float or double))
        {
            return default;
        }

        double x = System.Convert.ToDouble(left, System.Globalization.CultureInfo.InvariantCulture);
        double y = System.Convert.ToDouble(right, System.Globalization.CultureInfo.InvariantCulture);
        double? result = kind switch
        {
            BinaryOperatorKind.Add => x + y,
            BinaryOperatorKind.Subtract => x - y,
            BinaryOperatorKind.Multiply => x * y,
            BinaryOperatorKind.Divide => x / y,
            _ => null,
        };
        return result is not { } r ? default
            : type?.SpecialType == SpecialType.System_Single ? new Optional<object?>((float)r)
            : new Optional<object?>(r);
    }

    private static Optional<object?> Convert(object? value, ITypeSymbol? type)
    {
        try
        {
            return type?.SpecialType switch
            {
                SpecialType.System_Int32 when value is int => new Optional<object?>(value),
                SpecialType.System_Single when value is int or float or double => new Optional<object?>(System.Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture)),
                SpecialType.System_Double when value is int or float or double => new Optional<object?>(System.Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
                SpecialType.System_Int64 when value is int i => new Optional<object?>((long)i),
                SpecialType.System_Boolean when value is bool => new Optional<object?>(value),
                _ when type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } => new Optional<object?>(value),
                _ => default,
            };
        }
        catch (OverflowException)
        {
            return default;
        }
    }
}
