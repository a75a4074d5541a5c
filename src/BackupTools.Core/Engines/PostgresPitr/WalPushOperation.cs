using System.Buffers.Binary;
using System.Formats.Tar;
using System.Security.Cryptography;
using BackupTools.Core.Audit;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>The outcome of one push of the spool.</summary>
public sealed record WalPushResult(string Cell, string? BatchId, IReadOnlyList<string> Pushed, IReadOnlyList<string> AlreadyArchived, TimeSpan Duration);

/// <summary>
/// The asynchronous half of WAL archiving. PostgreSQL's archive_command (bt-wal-spool) only copies a finished WAL
/// file into a local spool and fsyncs it — milliseconds, no process start of ours per segment. This pushes the
/// spool: up to MaxFilesPerBatch files at a time become one WAL batch record (a tar, through compress → encrypt →
/// hash, manifest last), and only once that manifest is durable are the spooled files removed. A file already
/// archived with the same content is dropped from the spool (PostgreSQL may archive a segment twice after a
/// crash); the same name with other content is an error and stays spooled for a human to look at.
/// </summary>
public sealed class WalPushOperation(IOperationObserver observer)
{
    private const string Activity = "Push-PostgresWal";

    public IReadOnlyList<WalPushResult> Run(WalPushRequest request, CancellationToken cancel)
    {
        Validate(request);
        using var opened = new OperationRepository(request.Repository);
        var repository = opened.Get();
        var archive = new WalArchive(repository.ListManifests(observer, cancel), request.Cell);
        SweepAbandonedCopies(request.Spool);
        var results = new List<WalPushResult>();
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            var spooled = Spooled(request.Spool, request.StreamSpool);
            if (spooled.Count == 0) break;
            var result = OperationAudit.Run(opened, new AuditSubject("wal-push", request.Cell, WalArchive.EngineName, request.Spool), observer,
                () => PushBatch(repository, archive, request, spooled.Take(request.MaxFilesPerBatch).ToList(), cancel),
                r => r.BatchId is null ? null : new AuditOutcome([r.BatchId], $"{r.Pushed.Count} WAL files ({r.Pushed[0]} … {r.Pushed[^1]})"));
            results.Add(result);
            if (result.Pushed.Count == 0 && result.AlreadyArchived.Count == 0) break;
        }
        return results;
    }

    /// <summary>
    /// Push-PostgresWal -Watch: pushes the spool every <paramref name="interval"/> until cancelled, handing each push to
    /// <paramref name="pushed"/>. Like the other archivers it beats a heartbeat after each round and says Stopped when it
    /// ends, so Get-BackupStatus can tell a running watcher from a killed one.
    /// </summary>
    public void Watch(WalPushRequest request, TimeSpan interval, Action<WalPushResult> pushed, CancellationToken cancel)
    {
        Validate(request);
        using var repository = request.Repository.Open();
        var heartbeat = new ArchiverHeartbeatWriter(repository, request.Cell, WalArchive.EngineName, interval, observer);
        string? position = null;
        try
        {
            do
            {
                foreach (var result in Run(request, cancel))
                {
                    position = result.Pushed.LastOrDefault() ?? position;
                    pushed(result);
                }
                heartbeat.Beat(position);
            }
            while (!cancel.WaitHandle.WaitOne(interval));
        }
        finally
        {
            heartbeat.Stopped(position);
        }
    }

    private static void Validate(WalPushRequest request)
    {
        BackupId.ValidateCellName(request.Cell);
        if (!System.IO.Directory.Exists(request.Spool))
            throw new BackupInputException("WalSpoolNotFound", "Spool", $"'{request.Spool}' does not exist.", "Pass the folder archive_command (bt-wal-spool) writes to.");
    }

    /// <summary>
    /// bt-wal-spool writes `.name.pid.tmp` and renames it; one killed mid-copy leaves that file behind (PostgreSQL then
    /// archives the segment again under a new temp name). An hour is far beyond any copy of one segment.
    /// </summary>
    public static void SweepAbandonedCopies(string spool)
    {
        foreach (var path in System.IO.Directory.EnumerateFiles(spool, ".*.tmp"))
            if (File.GetLastWriteTimeUtc(path) < DateTime.UtcNow.AddHours(-1))
                File.Delete(path);
    }

    /// <summary>
    /// Finished files in the spool (bt-wal-spool renames into place; dot-files are in flight), WAL order. In a stream
    /// spool the newest .partial is the segment pg_receivewal is writing; an older one was cut by a timeline switch.
    /// </summary>
    public static List<string> Spooled(string spool, bool stream = false)
    {
        var files = System.IO.Directory.EnumerateFiles(spool)
            .Select(Path.GetFileName).OfType<string>()
            .Select(n => WalFileName.TryParse(n, out var f) ? f : (WalFileName?)null).OfType<WalFileName>().ToList();
        var receiving = stream ? ReceivingPartial(files) : null;
        return files.Where(f => f.Name != receiving).Select(f => f.Name).Order(StringComparer.Ordinal).ToList();
    }

    /// <summary>The .partial pg_receivewal is still writing: the newest by timeline and segment.</summary>
    public static string? ReceivingPartial(IEnumerable<WalFileName> files) =>
        files.Where(f => f.Kind == WalFileKind.Partial).OrderBy(f => f.Timeline).ThenBy(f => f.Segment).LastOrDefault().Name;

    private WalPushResult PushBatch(BackupRepository repository, WalArchive archive, WalPushRequest request, List<string> names, CancellationToken cancel)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var fresh = new List<(string Name, string Sha256, long Bytes)>();
        var known = new List<string>();
        foreach (var name in names)
        {
            var path = Path.Combine(request.Spool, name);
            var sha = Sha256Of(path);
            if (archive.TryGet(name, out var batch, out var archived))
            {
                // A snapshot is provisional (the whole segment supersedes it; recovery checks every record's CRC): one
                // taken again under the same name is dropped rather than stopping the stream.
                if (archived != sha && !IsSnapshot(name))
                    throw new BackupIntegrityException("WalFileConflict",
                        $"{name} in the spool differs from the copy archived in batch {batch.Id}; it was left in {request.Spool}.",
                        "Two clusters may be archiving into one spool/cell: give each its own. Compare both copies before removing either.");
                known.Add(name);
                continue;
            }
            CheckCluster(path, name, archive, request);
            fresh.Add((name, sha, new FileInfo(path).Length));
        }

        string? batchId = null;
        if (fresh.Count > 0)
        {
            long done = 0, total = fresh.Sum(f => f.Bytes);
            var manifest = new BackupTemplate(observer).Batch(repository, $"Push-PostgresWal {request.Cell}", request.LockTimeout,
                new StreamBackup(request.Cell, request.Spool, WalArchive.EngineName, request.Compression, request.Keys, Kind: BackupKind.Wal), data =>
                {
                    using var tar = new TarWriter(data, TarEntryFormat.Pax, leaveOpen: true);
                    foreach (var file in fresh)
                    {
                        cancel.ThrowIfCancellationRequested();
                        tar.WriteEntry(Path.Combine(request.Spool, file.Name), file.Name);
                        observer.Progress(Activity, file.Name, done += file.Bytes, total);
                    }
                }, () => WalArchive.Describe(fresh, archive.SystemIdentifier ?? SystemIdentifierOf(Path.Combine(request.Spool, fresh[0].Name))), cancel);
            archive.Add(manifest);
            batchId = manifest.Id;
        }
        // Only now, with the batch's manifest durable, may the spool forget these files.
        foreach (var name in fresh.Select(f => f.Name).Concat(known)) File.Delete(Path.Combine(request.Spool, name));
        foreach (var name in known) observer.Verbose($"{name} was already archived with the same content; removed from the spool.");
        return new WalPushResult(request.Cell, batchId, fresh.Select(f => f.Name).ToList(), known, clock.Elapsed);
    }

    private static bool IsSnapshot(string name) => WalFileName.TryParse(name, out var file) && file.Kind == WalFileKind.StreamSnapshot;

    /// <summary>Segments carry their cluster's system identifier: refuse to mix two clusters in one archive.</summary>
    private static void CheckCluster(string path, string name, WalArchive archive, WalPushRequest request)
    {
        if (archive.SystemIdentifier is not { } expected || SystemIdentifierOf(path) is not { } actual || actual == expected) return;
        throw new BackupInputException("WalSystemMismatch", "Cell",
            $"{name} comes from cluster {actual}, but cell '{request.Cell}' archives cluster {expected}; nothing was pushed.",
            "Give each cluster its own cell (and spool).");
    }

    /// <summary>The system identifier in a segment's first (long) page header; null for history/label files.</summary>
    public static string? SystemIdentifierOf(string path)
    {
        if (!WalFileName.TryParse(Path.GetFileName(path), out var file) || file.Kind is not (WalFileKind.Segment or WalFileKind.Partial or WalFileKind.StreamSnapshot)) return null;
        Span<byte> header = stackalloc byte[40];
        using var stream = File.OpenRead(path);
        if (stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length) return null;
        // XLogLongPageHeaderData: xlp_magic(2) xlp_info(2) xlp_tli(4) xlp_pageaddr(8) xlp_rem_len(4) pad(4), then xlp_sysid(8).
        return BinaryPrimitives.ReadUInt64LittleEndian(header[24..32]).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream)).ToLowerInvariant();
    }
}
