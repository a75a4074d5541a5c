using System.Globalization;
using BackupTools.Core.Errors;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace BackupTools.Core.Plans;

/// <summary>Collects problems while a plan is read, each pinned to the YAML node it is about.</summary>
internal sealed class PlanProblems(string file)
{
    public List<PlanProblem> All { get; } = [];
    public string File => file;

    public void Add(YamlNode? node, string key, string message, string? allowed = null) =>
        All.Add(new PlanProblem(file, (int)(node?.Start.Line ?? 1), (int)(node?.Start.Column ?? 1), key, message, allowed));
}

/// <summary>
/// A typed view of one YAML mapping: reads keys with their types, reports a wrong type, a bad value or an
/// unknown key (typos are the usual plan bug) as a problem at the right line, and never throws.
/// </summary>
internal sealed class PlanMap(YamlMappingNode node, string path, PlanProblems problems)
{
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public YamlMappingNode Node => node;
    public int Line => (int)node.Start.Line;
    public string Path => path;
    public PlanProblems Problems => problems;

    private string KeyPath(string key) => path.Length == 0 ? key : $"{path}.{key}";

    public YamlNode? Raw(string key)
    {
        _read.Add(key);
        return node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : null;
    }

    public bool Has(string key) => node.Children.ContainsKey(new YamlScalarNode(key));

    public string? String(string key, bool required = false, string? allowed = null)
    {
        var value = Raw(key);
        if (value is YamlScalarNode { Value: null or "", Style: ScalarStyle.Plain }) value = null; // "key:" with nothing after it
        if (value is null)
        {
            if (required) problems.Add(value ?? node, KeyPath(key), "is required.", allowed);
            return null;
        }
        if (value is YamlScalarNode scalar) return scalar.Value;
        problems.Add(value, KeyPath(key), "must be a single value, not a list or mapping.", allowed);
        return null;
    }

    public string? OneOf(string key, IReadOnlyCollection<string> values, bool required = false)
    {
        var text = String(key, required, string.Join(", ", values));
        if (text is null || values.Contains(text)) return text;
        problems.Add(Raw(key), KeyPath(key), $"'{text}' is not one of the allowed values.", string.Join(", ", values));
        return null;
    }

    public int? Int(string key, int min, int max, bool required = false)
    {
        var text = String(key, required, $"a whole number from {min} to {max}");
        if (text is null) return null;
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max) return n;
        problems.Add(Raw(key), KeyPath(key), $"'{text}' is not a whole number from {min} to {max}.");
        return null;
    }

    public bool Bool(string key, bool fallback)
    {
        var text = String(key, false, "true or false");
        if (text is null) return fallback;
        if (bool.TryParse(text, out var b)) return b;
        problems.Add(Raw(key), KeyPath(key), $"'{text}' is not true or false.");
        return fallback;
    }

    public TimeSpan? Duration(string key)
    {
        var text = String(key, false, "a duration such as 15m, 4h, 1d, 2w");
        if (text is null) return null;
        if (Durations.TryParse(text, out var value) is not { } problem) return value;
        problems.Add(Raw(key), KeyPath(key), problem.Message, problem.RecommendedAction.TrimEnd('.'));
        return null;
    }

    public PlanMap? Map(string key, bool required = false)
    {
        var value = Raw(key);
        if (value is null)
        {
            if (required) problems.Add(node, KeyPath(key), "is required.");
            return null;
        }
        if (value is YamlMappingNode mapping) return new PlanMap(mapping, KeyPath(key), problems);
        problems.Add(value, KeyPath(key), "must be a mapping (key: value lines).");
        return null;
    }

    /// <summary>Items of a list; each mapping item comes with its own path ("cells[2]").</summary>
    public IReadOnlyList<PlanMap> MapList(string key, bool required = false)
    {
        var value = Raw(key);
        if (value is null)
        {
            if (required) problems.Add(node, KeyPath(key), "is required.");
            return [];
        }
        if (value is not YamlSequenceNode sequence)
        {
            problems.Add(value, KeyPath(key), "must be a list (lines starting with '- ').");
            return [];
        }
        var maps = new List<PlanMap>();
        for (var i = 0; i < sequence.Children.Count; i++)
        {
            if (sequence.Children[i] is YamlMappingNode item) maps.Add(new PlanMap(item, $"{KeyPath(key)}[{i}]", problems));
            else problems.Add(sequence.Children[i], $"{KeyPath(key)}[{i}]", "must be a mapping (key: value lines).");
        }
        return maps;
    }

    /// <summary>A list of plain values; a single value is accepted as a list of one.</summary>
    public IReadOnlyList<string> StringList(string key)
    {
        var value = Raw(key);
        switch (value)
        {
            case null: return [];
            case YamlScalarNode { Value: { Length: > 0 } single }: return [single];
            case YamlSequenceNode sequence:
                var items = new List<string>();
                foreach (var child in sequence.Children)
                    if (child is YamlScalarNode { Value: { } text }) items.Add(text);
                    else problems.Add(child, KeyPath(key), "items must be single values.");
                return items;
            default:
                problems.Add(value, KeyPath(key), "must be a list of values.");
                return [];
        }
    }

    /// <summary>
    /// A secret reference: {env: NAME} or {file: /path}. A plain value is refused — a plan is a file people
    /// commit and share; secrets stay in the environment or in private files.
    /// </summary>
    public SecretRef? Secret(string key)
    {
        var value = Raw(key);
        if (value is null) return null;
        if (value is not YamlMappingNode)
        {
            problems.Add(value, KeyPath(key), "secrets cannot be written in a plan.", "{ env: VARIABLE_NAME } or { file: /path/to/private/file }");
            return null;
        }
        var map = new PlanMap((YamlMappingNode)value, KeyPath(key), problems);
        var env = map.String("env");
        var file = map.String("file");
        map.RejectUnknownKeys();
        if ((env is null) == (file is null))
        {
            problems.Add(value, KeyPath(key), "give exactly one of env or file.", "{ env: VARIABLE_NAME } or { file: /path/to/private/file }");
            return null;
        }
        return new SecretRef(env, file);
    }

    /// <summary>Reports every key this view never read: a typo or a key from another section.</summary>
    public void RejectUnknownKeys()
    {
        var known = string.Join(", ", _read.Order(StringComparer.Ordinal));
        foreach (var (key, _) in node.Children)
        {
            var name = (key as YamlScalarNode)?.Value ?? "?";
            if (!_read.Contains(name)) problems.Add(key, KeyPath(name), "is not a known key here.", known);
        }
    }
}
