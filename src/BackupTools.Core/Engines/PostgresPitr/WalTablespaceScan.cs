using System.Text.RegularExpressions;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// CREATE TABLESPACE records in the WAL a restore is about to replay (pg_waldump -r Tablespace). PostgreSQL replays one
/// by removing &lt;location&gt;/PG_&lt;version&gt;_&lt;catversion&gt; and creating it again — at the location in the record, whatever
/// -TablespaceMap says for the base backup's tablespaces. On the source's host that folder is the live cluster's (in
/// place: the stopped cluster's own, the safety copy), so a restore whose WAL would do that is refused before any server starts.
/// </summary>
internal static partial class WalTablespaceScan
{
    public static void RefuseReplayIntoUsedFolders(PgTools tools, string walDir, string baseBackupId, CancellationToken cancel)
    {
        var segments = System.IO.Directory.EnumerateFiles(walDir).Select(Path.GetFileName).OfType<string>().Where(n => SegmentName().IsMatch(n)).Order(StringComparer.Ordinal).ToList();
        foreach (var timeline in segments.GroupBy(n => n[..8]))
        {
            // Exit code 1 at the end of the WAL ("invalid record length") is normal: the records it printed are what counts.
            using var records = new MemoryStream();
            ExternalTool.Run(Path.Combine(tools.BinDir, "pg_waldump"), ["-p", walDir, "-r", "Tablespace", timeline.First(), timeline.Last()],
                new Dictionary<string, string>(), records, null, cancel, throwOnFailure: false);
            foreach (Match create in CreateRecord().Matches(System.Text.Encoding.UTF8.GetString(records.ToArray())))
            {
                var location = create.Groups["location"].Value;
                if (System.IO.Directory.Exists(location) && System.IO.Directory.EnumerateFileSystemEntries(location).Any())
                    throw new BackupToolsException("WalCreatesTablespaceInUse", FailureKind.InvalidArgument,
                        $"The WAL to replay creates tablespace {create.Groups["oid"].Value} at '{location}' (CREATE TABLESPACE after base backup {baseBackupId} began); " +
                        "PostgreSQL's replay of it empties that folder, which is in use here. Nothing was started and nothing existing was touched.",
                        "Take a new base backup (it records the tablespace, and -TablespaceMap can move it), or restore on a host where that folder is free.");
            }
        }
    }

    [GeneratedRegex("^[0-9A-F]{24}$")]
    private static partial Regex SegmentName();

    [GeneratedRegex(@"desc: CREATE (?<oid>\d+) ""(?<location>[^""\n]*)""")]
    private static partial Regex CreateRecord();
}
