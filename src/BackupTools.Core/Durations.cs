using System.Globalization;
using System.Text.RegularExpressions;
using BackupTools.Core.Errors;

namespace BackupTools.Core;

/// <summary>
/// The one reading of every duration parameter and plan key (retention keepWithin, status ages, plan rpo/rto,
/// fullEvery, health-check timeouts): "30s", "15m" or "15min", "2h", "7d", "4w", "1y" (365 days), combined like
/// "1d12h" or "1h30m", or a TimeSpan text with a colon ("7.00:00:00"). A bare number is refused: its unit would be
/// a guess (and PowerShell would read it as ticks).
/// </summary>
public static partial class Durations
{
    /// <summary>100 years: longer would not help any policy, and "now − duration" must stay a real date.</summary>
    public static readonly TimeSpan Largest = TimeSpan.FromDays(36500);

    public const string Examples = "30s, 15m, 2h, 7d, 4w, 1y, 1d12h or 7.00:00:00";

    private static readonly string LargestText = $"{Format(Largest)} (100 years)";

    /// <summary>Why a text is not a duration: the error id and the words for the error.</summary>
    public sealed record Problem(string ErrorId, string Message, string RecommendedAction)
    {
        public BackupInputException For(string parameter) => new(ErrorId, parameter, Message, RecommendedAction);
    }

    /// <summary>Parses and checks the range; throws naming the parameter.</summary>
    /// <param name="checkRange">false: accept up to what a TimeSpan holds, for callers whose core checks the range.</param>
    public static TimeSpan Parse(string text, string parameter, bool checkRange = true) =>
        TryParse(text, out var value, checkRange) is { } problem ? throw problem.For(parameter) : value;

    /// <summary>null when text is a duration within range (value set), else why not.</summary>
    public static Problem? TryParse(string text, out TimeSpan value, bool checkRange = true)
    {
        var longest = checkRange ? Largest : TimeSpan.MaxValue;
        value = TimeSpan.Zero;
        var trimmed = text.Trim();
        if (trimmed.Contains(':'))
        {
            if (!TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out value)) return NotADuration(text);
            return value > longest ? TooLong(text) : value < TimeSpan.Zero ? NotADuration(text) : null;
        }
        if (decimal.TryParse(trimmed, NumberStyles.Number, CultureInfo.InvariantCulture, out var bare))
            return UnitMissing(bare.ToString(CultureInfo.InvariantCulture));
        var match = UnitsPattern().Match(trimmed);
        if (!match.Success) return NotADuration(text);
        var seconds = 0m;
        foreach (Capture part in match.Groups["part"].Captures)
        {
            var m = PartPattern().Match(part.Value);
            seconds += decimal.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) * SecondsPer(m.Groups["u"].Value);
        }
        if (seconds >= (decimal)longest.TotalSeconds) return TooLong(text);
        value = TimeSpan.FromTicks((long)decimal.Round(seconds * TimeSpan.TicksPerSecond));
        return null;
    }

    /// <summary>
    /// A number given where a duration belongs. PowerShell reads unquoted 20s, 7d and 1y as numbers of type Int16,
    /// Decimal and SByte (its literal suffixes), so those types mean seconds, days and years; any other number has
    /// no unit and is refused.
    /// </summary>
    public static TimeSpan FromNumber(object number, string parameter, bool checkRange = true)
    {
        var (amount, unit) = number switch
        {
            short s => ((decimal)s, "s"),
            decimal d => (d, "d"),
            sbyte y => ((decimal)y, "y"),
            _ => (0m, null as string),
        };
        if (unit is null) throw UnitMissing(Convert.ToString(number, CultureInfo.InvariantCulture) ?? "").For(parameter);
        return Parse(amount.ToString(CultureInfo.InvariantCulture) + unit, parameter, checkRange);
    }

    /// <summary>For durations built in code (a TimeSpan parameter): refuses what Parse would.</summary>
    public static void CheckRange(TimeSpan value, string parameter)
    {
        if (value > Largest) throw TooLong(Format(value)).For(parameter);
    }

    /// <summary>Short, in the largest fitting unit ("2.4d", "26h", "15min", "45s"); seconds below a minute.</summary>
    public static string Format(TimeSpan span)
    {
        if (span < TimeSpan.Zero) return "-" + Format(span.Duration());
        static string N(double n) => n.ToString("0.#", CultureInfo.InvariantCulture);
        return span.TotalDays >= 2 ? N(span.TotalDays) + "d"
            : span.TotalHours >= 1 ? N(span.TotalHours) + "h"
            : span.TotalMinutes >= 1 ? N(span.TotalMinutes) + "min"
            : N(span.TotalSeconds) + "s";
    }

    private static decimal SecondsPer(string unit) => unit.ToLowerInvariant() switch
    {
        "y" => 365 * 86400,
        "w" => 7 * 86400,
        "d" => 86400,
        "h" => 3600,
        "m" or "min" => 60,
        _ => 1,
    };

    private static Problem NotADuration(string text) =>
        new("DurationInvalid", $"'{text}' is not a duration.", $"Use e.g. {Examples} (m is minutes, y is 365 days).");

    private static Problem UnitMissing(string number) =>
        new("DurationUnitMissing", $"{number} has no unit.",
            $"Write the unit: '{number}s', '{number}m', '{number}h' or '{number}d' (quote it in PowerShell).");

    private static Problem TooLong(string text) =>
        new("DurationOutOfRange", $"'{text}' is longer than the largest allowed duration, {LargestText}.",
            $"Give at most {Format(Largest)}.");

    // At most 15 digits per number: keeps the decimal arithmetic far from overflow, and is far past Largest anyway.
    [GeneratedRegex(@"^(?<part>\d{1,15}(\.\d{1,9})?\s*(y|w|d|h|min|m|s)\s*)+$", RegexOptions.IgnoreCase)]
    private static partial Regex UnitsPattern();

    [GeneratedRegex(@"^(?<n>\d{1,15}(\.\d{1,9})?)\s*(?<u>y|w|d|h|min|m|s)\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex PartPattern();
}
