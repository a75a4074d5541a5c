using System.Globalization;
using System.Text;

namespace BackupTools.Core.Metrics;

/// <summary>
/// Writes the Prometheus text exposition format (version 0.0.4): one HELP and TYPE line per metric family,
/// then its samples. Label values escape backslash, double quote and newline as the format requires.
/// </summary>
public sealed class PrometheusText
{
    private readonly StringBuilder _text = new();
    private readonly HashSet<string> _families = new(StringComparer.Ordinal);

    public void Family(string name, string type, string help)
    {
        if (!_families.Add(name)) throw new InvalidOperationException($"metric family {name} written twice");
        _text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
    }

    public void Sample(string name, IReadOnlyList<(string Name, string Value)> labels, double value)
    {
        _text.Append(name);
        if (labels.Count > 0)
            _text.Append('{').Append(string.Join(",", labels.Select(l => $"{l.Name}=\"{EscapeLabel(l.Value)}\""))).Append('}');
        _text.Append(' ').Append(FormatValue(value)).Append('\n');
    }

    public override string ToString() => _text.ToString();

    public static string EscapeLabel(string value) => value.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n");

    private static string EscapeHelp(string value) => value.Replace("\\", "\\\\").Replace("\n", "\\n");

    private static string FormatValue(double value) =>
        double.IsNaN(value) ? "NaN" : double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);
}
