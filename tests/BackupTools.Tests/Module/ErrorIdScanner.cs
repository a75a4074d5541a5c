using System.Text.RegularExpressions;

namespace BackupTools.Tests.Module;

/// <summary>
/// Finds the error ids the source can emit, by the places an id is written: the first argument of
/// BackupToolsException / BackupIntegrityException / BackupKeyException / BackupInputException / Durations.Problem
/// (also as a base-constructor call) and of a target-typed <c>new(…)</c>; any plain literal argument of
/// AlertDeliveryException; the id argument of <c>new ErrorRecord</c>; <c>ErrorId =&gt; "…"</c>, <c>ErrorId = "…"</c>,
/// <c>errorId = "…"</c> (a default), named arguments <c>…ErrorId: "…"</c> and <c>const string …Id = "…"</c>. An id is a PascalCase literal; ternaries count both sides.
/// </summary>
public static partial class ErrorIdScanner
{
    /// <summary>PascalCase literals at those places that are not error ids.</summary>
    public static readonly IReadOnlyDictionary<string, string> NotErrorIds = new Dictionary<string, string>
    {
        ["ById"] = "a parameter set name (DatabaseRestoreCmdlet.ById)",
    };

    public sealed record Use(string Id, string File, int Line);

    public sealed record Interpolated(string File, int Line, string Argument);

    [GeneratedRegex("\"([A-Z][a-z0-9]+(?:[A-Z0-9][A-Za-z0-9]*)+)\"")]
    private static partial Regex IdLiteral();

    [GeneratedRegex(@"(?<named>\b(?:BackupToolsException|BackupIntegrityException|BackupKeyException|BackupInputException|Problem)\s*\()|(?<new>\bnew\s*\()|(?<alert>\bAlertDeliveryException\s*\()|(?<prop>\bErrorId\s*(?:=>|=)\s*|\berrorId\s*=\s*|\b\w*(?:errorId|ErrorId)\s*:\s*|\bconst string \w*Id\s*=\s*)|(?<record>\bnew ErrorRecord\()")]
    private static partial Regex Site();

    public static (List<Use> Uses, List<Interpolated> Interpolated) Scan(string sourceRoot)
    {
        var uses = new List<Use>();
        var interpolated = new List<Interpolated>();
        var files = Directory.EnumerateFiles(sourceRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "obj" or "bin"))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var (u, i) = ScanText(File.ReadAllText(file), Path.GetRelativePath(Path.GetDirectoryName(sourceRoot)!, file));
            uses.AddRange(u);
            interpolated.AddRange(i);
        }
        return (uses, interpolated);
    }

    public static (List<Use> Uses, List<Interpolated> Interpolated) ScanText(string text, string file)
    {
        var uses = new List<Use>();
        var interpolated = new List<Interpolated>();
        foreach (Match site in Site().Matches(text))
        {
            var line = 1 + text.AsSpan(0, site.Index).Count('\n');
            List<string> candidates;
            if (site.Groups["prop"].Success)
                candidates = Arguments(text, site.Index + site.Length).Take(1).ToList(); // up to ';', ',' or ')'
            else
            {
                var args = Arguments(text, site.Index + site.Length);
                if (args.Count == 0) continue;
                if (site.Groups["alert"].Success) candidates = args.Where(a => IdLiteral().IsMatch(a) && IdLiteral().Match(a).Length == a.Length).ToList();
                else if (site.Groups["record"].Success) candidates = args.Skip(1).Take(1).ToList();
                else candidates = [args[0]];
                // An id built from data cannot be catalogued: only the exception types and ErrorRecord are checked,
                // since a target-typed new(…) may construct anything.
                if ((site.Groups["named"].Success || site.Groups["record"].Success) && IsInterpolated(candidates[0]))
                    interpolated.Add(new Interpolated(file, line, candidates[0]));
            }
            foreach (var candidate in candidates.Where(c => !IsInterpolated(c)))
                foreach (Match id in IdLiteral().Matches(candidate))
                    if (!NotErrorIds.ContainsKey(id.Groups[1].Value)) uses.Add(new Use(id.Groups[1].Value, file, line));
        }
        return (uses, interpolated);
    }

    private static bool IsInterpolated(string argument)
    {
        var a = argument.TrimStart();
        return a.StartsWith("$\"") || a.StartsWith("$@\"") || a.StartsWith("@$\"") || Regex.IsMatch(a, "\"\\s*\\+|\\+\\s*\"");
    }

    /// <summary>The top-level arguments of the call whose '(' ends just before <paramref name="start"/>.</summary>
    private static List<string> Arguments(string s, int start)
    {
        var result = new List<string>();
        var depth = 0;
        var from = start;
        for (var j = start; j < s.Length;)
        {
            var c = s[j];
            if (c == '"' || ((c == '$' || c == '@') && j + 1 < s.Length && s[j + 1] is '"' or '$' or '@')) { j = SkipString(s, j); continue; }
            if (c == '\'') { j = s.IndexOf('\'', s[j + 1] == '\\' ? j + 3 : j + 2) + 1; continue; }
            if (c is '(' or '[' or '{') depth++;
            else if (c is ')' or ']' or '}')
            {
                if (depth == 0) { result.Add(s[from..j].Trim()); break; }
                depth--;
            }
            else if (c == ',' && depth == 0) { result.Add(s[from..j].Trim()); from = j + 1; }
            else if (c == ';' && depth == 0) { result.Add(s[from..j].Trim()); break; }
            j++;
        }
        return result;
    }

    /// <summary>The index just after the string literal starting at <paramref name="j"/> (regular, verbatim, interpolated).</summary>
    private static int SkipString(string s, int j)
    {
        var k = j;
        var interpolated = false;
        var verbatim = false;
        while (s[k] != '"') { interpolated |= s[k] == '$'; verbatim |= s[k] == '@'; k++; }
        k++;
        var holes = 0;
        while (k < s.Length)
        {
            var c = s[k];
            if (interpolated && c == '{') { if (holes == 0 && s[k + 1] == '{') { k += 2; continue; } holes++; }
            else if (interpolated && c == '}' && holes > 0) holes--;
            else if (c == '"' && holes > 0) { k = SkipString(s, k); continue; }
            else if (c == '\\' && !verbatim && holes == 0) { k += 2; continue; }
            else if (c == '"' && verbatim && k + 1 < s.Length && s[k + 1] == '"') { k += 2; continue; }
            else if (c == '"') return k + 1;
            k++;
        }
        return k;
    }
}
