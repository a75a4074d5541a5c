using BackupTools.Core.Engines.Directory;
using BackupTools.Core.Engines.External;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>
/// A base backup of a cluster with tablespaces, still streamed with no copy on local disk. pg_basebackup writes only
/// one archive to stdout, so here it writes its archives into a folder it creates itself (it refuses one that is not
/// empty): base.tar, &lt;oid&gt;.tar per tablespace and backup_manifest.tmp. The moment the folder appears we put FIFOs
/// under those names; pg_basebackup opens them like files (fopen "wb") one after the other and we read each as it is
/// written, merged into one tar on the way to the repository (<see cref="PgArchiveMerger"/>). --no-sync: its final
/// fsync pass would open the FIFOs and wait; --no-clean: a failed run leaves the FIFOs for us to release and remove.
/// When pg_basebackup opened a name before its FIFO existed (the race is microseconds against a checkpoint and
/// three round trips), the run is abandoned and <see cref="RaceLostErrorId"/> raised; nothing of it is kept.
/// </summary>
internal sealed class PgTablespaceCapture(string pgBasebackup, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment,
    IReadOnlyList<PgTablespace> tablespaces)
{
    public const string RaceLostErrorId = "PostgresBaseBackupRaceLost";
    private const string ManifestName = "backup_manifest.tmp";

    private sealed record Archive(string Name, PgTablespace? Tablespace)
    {
        public long Bytes { get; set; }
        public bool Received { get; set; }
    }

    /// <summary>Streams the merged tar into <paramref name="output"/>; returns pg_basebackup's result and the tablespaces with their sizes.</summary>
    public (ExternalTool.Result Result, IReadOnlyList<PgTablespace> Tablespaces) Run(Stream output, CancellationToken cancel)
    {
        var work = System.IO.Directory.CreateTempSubdirectory("bt-pgbase-");
        var folder = Path.Combine(work.FullName, "archives");
        // Tablespaces first, base.tar last: the order the server sends them in (the last one carries pg_control).
        var archives = tablespaces.Select(t => new Archive($"{t.Oid}.tar", t)).Append(new Archive("base.tar", null)).ToList();
        var merger = new PgArchiveMerger(output);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        var failures = new List<Exception>();
        byte[]? manifest = null;
        var raceLost = false;
        var exited = false;
        var readers = new List<Task>();
        void Fail(Exception e)
        {
            lock (failures) failures.Add(e);
            stop.Cancel(); // pg_basebackup must not wait on a reader that is gone
        }
        var placing = Task.Factory.StartNew(() =>
        {
            // Spins (yielding) for the few milliseconds between pg_basebackup's start and its mkdir.
            while (!System.IO.Directory.Exists(folder))
            {
                if (Volatile.Read(ref exited) || stop.IsCancellationRequested) return;
                Thread.Yield();
            }
            foreach (var name in archives.Select(a => a.Name).Append(ManifestName))
            {
                if (NamedPipe.TryCreate(Path.Combine(folder, name))) continue;
                raceLost = true;
                stop.Cancel();
                return;
            }
            lock (readers)
            {
                foreach (var archive in archives)
                    readers.Add(Task.Factory.StartNew(() => Read(archive, folder, merger, Fail), TaskCreationOptions.LongRunning));
                readers.Add(Task.Factory.StartNew(() =>
                {
                    try
                    {
                        using var fifo = new FileStream(Path.Combine(folder, ManifestName), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
                        using var copy = new MemoryStream();
                        fifo.CopyTo(copy);
                        manifest = copy.ToArray();
                    }
                    catch (Exception e) { Fail(e); } // a faulted reader would stop the wait for the others
                }, TaskCreationOptions.LongRunning));
            }
        }, TaskCreationOptions.LongRunning);

        ExternalTool.Result? result = null;
        try
        {
            try
            {
                result = ExternalTool.Run(pgBasebackup, [.. arguments, "-D", folder, "--no-sync", "--no-clean"], environment, null, null, stop.Token, throwOnFailure: false);
            }
            catch (OperationCanceledException) when (!cancel.IsCancellationRequested) { /* we stopped it: a reader failed or the race was lost */ }
            Volatile.Write(ref exited, true);
            placing.Wait(CancellationToken.None);
            ReleaseReaders(folder, archives.Select(a => a.Name).Append(ManifestName), readers);
            cancel.ThrowIfCancellationRequested();
            if (raceLost || LeftFiles(folder).Any(n => archives.Any(a => a.Name == n) || n == ManifestName))
                throw new BackupToolsException(RaceLostErrorId, FailureKind.ExternalToolFailure,
                    "pg_basebackup opened its output before BackupTools could turn it into a stream; the attempt was discarded.", "Run the backup again.");
            if (result is null || result.ExitCode != 0 || failures.Count > 0)
                throw Failure(result, failures);
            if (LeftFiles(folder).Concat(archives.Where(a => !a.Received).Select(a => a.Name)).FirstOrDefault() is { } extra)
                throw new BackupToolsException("PostgresTablespacesChanged", FailureKind.ExternalToolFailure,
                    $"The cluster's tablespaces changed while it was backed up ({extra}); nothing was recorded.", "Run the backup again.");
            if (manifest is not { Length: > 0 })
                throw new BackupToolsException("PostgresBaseBackupUnreadable", FailureKind.ExternalToolFailure, "pg_basebackup sent no backup_manifest; nothing was recorded.",
                    "Do not run it with --no-manifest; check the server's log.");
            merger.AppendFile("backup_manifest", manifest);
            merger.Finish();
            return (result, archives.Where(a => a.Tablespace != null).Select(a => a.Tablespace! with { Bytes = a.Bytes }).ToList());
        }
        finally
        {
            Volatile.Write(ref exited, true);
            try { work.Delete(recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>Reads one archive FIFO (open blocks until pg_basebackup opens it) and appends it to the merged tar, one archive at a time.</summary>
    private static void Read(Archive archive, string folder, PgArchiveMerger merger, Action<Exception> fail)
    {
        try
        {
            using var fifo = new FileStream(Path.Combine(folder, archive.Name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 1 << 16);
            lock (merger)
            {
                // Null: released by us, pg_basebackup never wrote it.
                if (merger.Append(fifo, archive.Name, archive.Tablespace?.ArchiveFolder) is not { } bytes) return;
                archive.Bytes = bytes;
                archive.Received = true;
            }
        }
        catch (Exception e) { fail(e); } // reported after pg_basebackup ended; a faulted task would not be
    }

    /// <summary>Readers still blocked in open(2) on a FIFO pg_basebackup never opened are released (repeatedly: one may not have reached open yet).</summary>
    private static void ReleaseReaders(string folder, IEnumerable<string> names, List<Task> readers)
    {
        Task[] all;
        lock (readers) all = readers.ToArray();
        while (!Task.WaitAll(all, TimeSpan.FromMilliseconds(50)))
            foreach (var name in names) NamedPipe.ReleaseReader(Path.Combine(folder, name));
    }

    /// <summary>What pg_basebackup left in its folder besides our FIFOs: regular files it wrote itself.</summary>
    private static IEnumerable<string> LeftFiles(string folder) =>
        System.IO.Directory.Exists(folder)
            ? System.IO.Directory.EnumerateFileSystemEntries(folder).Where(p => UnixFileStat.Get(p).Type != UnixFileStat.FileType.Other).Select(p => Path.GetFileName(p)!).ToList()
            : [];

    private static BackupToolsException Failure(ExternalTool.Result? result, List<Exception> failures)
    {
        if (result is { ExitCode: not 0 } failed)
            return new BackupToolsException("ExternalToolFailed", FailureKind.ExternalToolFailure,
                $"pg_basebackup failed with exit code {failed.ExitCode}: {Tail(failed.Stderr)}", "Nothing was recorded. Fix the cause shown above and run again.");
        var first = failures.FirstOrDefault();
        return first as BackupToolsException ?? new BackupToolsException("ExternalToolFailed", FailureKind.ExternalToolFailure,
            $"Streaming pg_basebackup's archives failed: {first?.Message ?? "it was stopped"}", inner: first);
    }

    private static string Tail(string text) => text.Length <= 1500 ? text : "…" + text[^1500..];
}
