using System.Globalization;
using System.Text.RegularExpressions;

namespace BackupTools.Core.Plans;

/// <summary>
/// Lets one health check serve every site: <c>${site}</c>, <c>${cell}</c> and <c>${endpoint.&lt;source&gt;.host|port|path}</c>
/// in a check's command, URL or tcp address become the values of the site being restored (its endpoint for that
/// source; the source as declared at the primary). Other <c>${…}</c> text (shell variables) is left alone.
/// </summary>
public static partial class HealthCheckPlaceholders
{
    [GeneratedRegex(@"\$\{(?:(?<plain>site|cell)|endpoint\.(?<source>[^{}]+)\.(?<field>host|port|path))\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"\$\{endpoint\.[^{}]*\}")]
    private static partial Regex AnyEndpoint();

    public static PlanHealthCheck Expand(PlanHealthCheck check, PlanCell cell, PlanSite? site) => check with
    {
        Command = Expand(check.Command, cell, site),
        Http = Expand(check.Http, cell, site),
        Tcp = Expand(check.Tcp, cell, site),
    };

    /// <summary>What is wrong with the placeholders of a check's text (for the plan loader): unknown sources, fields, missing values.</summary>
    public static IEnumerable<string> Problems(string? text, PlanCell cell)
    {
        if (text is null) yield break;
        foreach (Match m in AnyEndpoint().Matches(text))
        {
            var known = Placeholder().Match(m.Value);
            if (!known.Success || known.Length != m.Length)
            {
                yield return $"'{m.Value}' is not a placeholder: use ${{endpoint.<source>.host}}, ${{endpoint.<source>.port}} or ${{endpoint.<source>.path}}.";
                continue;
            }
            var name = known.Groups["source"].Value;
            var source = cell.Sources.FirstOrDefault(s => s.Name == name);
            if (source is null) yield return $"'{m.Value}' names no source of cell {cell.Name} (sources: {string.Join(", ", cell.Sources.Select(s => s.Name))}).";
            else if (Value(source, known.Groups["field"].Value) is null) yield return $"'{m.Value}': a {source.Kind} source has no {known.Groups["field"].Value}.";
        }
    }

    private static string? Expand(string? text, PlanCell cell, PlanSite? site) => text is null ? null : Placeholder().Replace(text, m =>
    {
        if (m.Groups["plain"].Success) return m.Groups["plain"].Value == "site" ? site?.Name ?? "" : cell.Name;
        var source = cell.Sources.FirstOrDefault(s => s.Name == m.Groups["source"].Value);
        return source is null ? m.Value : Value(PlanCellRestorer.Effective(source, site, cell), m.Groups["field"].Value) ?? m.Value;
    });

    private static string? Value(PlanSource source, string field) => field switch
    {
        "host" => DefaultPort(source.Kind) is null ? null : source.Server ?? "127.0.0.1",
        "port" => (source.Port ?? DefaultPort(source.Kind))?.ToString(CultureInfo.InvariantCulture),
        _ => source.Path,
    };

    /// <summary>Sources that are servers have a default port; the others (directories) have no host either.</summary>
    private static int? DefaultPort(string kind) => Engines.Registry.EngineRegistry.PlanOf(kind).DefaultPort;
}
