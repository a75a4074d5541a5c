using System.Globalization;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Verification;

/// <summary>
/// Which packs a -ReadDataSubset run reads, decided by the pack id alone so repeated runs are deterministic: "n/m"
/// reads the packs whose bucket (the id's first 32 bits modulo m) is n − 1, so 1/m … m/m together read every pack
/// once; "p%" reads the packs whose first 32 bits fall in the lowest p % of the range. Pack ids are random, so
/// either is an even sample.
/// </summary>
public sealed record PackSubset(string Text, Func<string, bool> Includes)
{
    public static PackSubset All { get; } = new("all", _ => true);

    public static PackSubset Parse(string text)
    {
        var value = text.Trim();
        if (value.EndsWith('%') && double.TryParse(value[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent) && percent is > 0 and <= 100)
        {
            var below = (ulong)(percent / 100 * 4294967296.0);
            return new PackSubset(value, id => Bits(id) < below);
        }
        var parts = value.Split('/');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m >= 1 && n >= 1 && n <= m)
            return new PackSubset(value, id => Bits(id) % (ulong)m == (ulong)(n - 1));
        throw new BackupInputException("ReadDataSubsetInvalid", "ReadDataSubset",
            $"'{text}' is neither a percentage (1%…100%) nor a bucket n/m with 1 ≤ n ≤ m.",
            "Pass e.g. -ReadDataSubset 5% or -ReadDataSubset 3/10 (run 1/10 … 10/10 on successive days to read everything).");
    }

    private static ulong Bits(string packId) => ulong.Parse(packId.AsSpan(0, 8), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
