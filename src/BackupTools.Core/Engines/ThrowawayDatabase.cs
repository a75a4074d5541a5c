using System.Text.RegularExpressions;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Engines;

/// <summary>Names for the databases a restore or restore test creates beside the real one, and finding those a crash left.</summary>
public static partial class ThrowawayDatabase
{
    /// <summary>Staging copies of a restore and throwaway copies of a restore test: disposable once their process is gone.</summary>
    public static readonly IReadOnlyList<string> Disposable = ["restore", "test"];

    /// <summary>
    /// database + "__bt_&lt;prefix&gt;_&lt;host tag&gt;_&lt;pid&gt;_&lt;4 hex&gt;", the database part cut so the whole fits 63
    /// characters (PostgreSQL's limit, under MySQL's 64): recognisable as ours, and whose, if a crash leaves one behind.
    /// </summary>
    public static string Name(string prefix, string database)
    {
        var suffix = $"__bt_{prefix}_{OwnerProcess.HostTag}_{OwnerProcess.Pid}_{Guid.NewGuid().ToString("N")[..4]}";
        return (database.Length + suffix.Length > 63 ? database[..(63 - suffix.Length)] : database) + suffix;
    }

    /// <summary>
    /// Of the given database names, those with one of <paramref name="prefixes"/> made by a process that is gone
    /// from this host. Names of other hosts (their processes cannot be checked) and older names without an owner are never returned.
    /// </summary>
    public static IReadOnlyList<string> LeftByDeadProcesses(IEnumerable<string> names, IReadOnlyCollection<string> prefixes) =>
        names.Where(name => Owned().Match(name) is { Success: true } m
                && prefixes.Contains(m.Groups["prefix"].Value)
                && OwnerProcess.IsDeadHere(m.Groups["host"].Value, m.Groups["pid"].Value))
            .ToList();

    /// <summary>SQL LIKE pattern matching every name made here (escape character '\').</summary>
    public const string LikePattern = @"%\_\_bt\_%";

    [GeneratedRegex(@"__bt_(?<prefix>[a-z]+)_(?<host>[0-9a-f]{6})_(?<pid>[0-9]{1,10})_[0-9a-f]{4}$")]
    private static partial Regex Owned();
}
