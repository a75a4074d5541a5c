using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using BackupTools.Core.Engines.Postgres;
using BackupTools.Core.Errors;
using BackupTools.Core.Operations;

using BackupTools.Core.Repository;

namespace BackupTools.Core.Engines.PostgresPitr;

/// <summary>Receive-PostgresWal: stream WAL over a replication slot into a local spool and push it into the repository.</summary>
public sealed record WalStreamRequest(WalPushRequest Push, PostgresTarget Source, string Slot, string? ToolPath, TimeSpan Interval);

/// <summary>
/// The streaming archiver, for an RPO of seconds. pg_receivewal (--synchronous: it fsyncs every WAL message before it
/// confirms it) writes into the spool over a replication slot, so the server keeps every byte until it is on our disk;
/// each -Interval the finished segments are pushed as WAL batches, and the segment still being received is pushed as a
/// snapshot (…​.XXXXXXXX.stream) when it grew, so a commit is in the repository seconds after it was made, not when its
/// 16 MB segment fills. Spooled files leave the spool only once their batch is durable. pg_receivewal dying (SIGKILL,
/// connection loss) is restarted: it resumes from its .partial or the slot, and a segment received twice is the same.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // pg_receivewal spool: POSIX modes
public sealed partial class WalStreamOperation(IOperationObserver observer)
{
    private readonly ConcurrentQueue<string> _receiverLog = new();
    private readonly Dictionary<string, long> _snapshotted = new(StringComparer.Ordinal);

    public void Run(WalStreamRequest request, Action<WalPushResult> pushed, CancellationToken cancel)
    {
        if (!SlotName().IsMatch(request.Slot))
            throw new BackupInputException("ReplicationSlotNameInvalid", "Slot", $"'{request.Slot}' is not a replication slot name.",
                "Use lower-case letters, digits and underscores (at most 63), e.g. bt_crm_db.");
        System.IO.Directory.CreateDirectory(request.Push.Spool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var receiveWal = Path.Combine(PgTools.Locate(request.ToolPath, 0).BinDir, "pg_receivewal");
        using var environment = new PgEnvironment(request.Source);
        var variables = environment.For("postgres");
        // The slot makes the server keep WAL we have not received, across our restarts and crashes.
        Engines.External.ExternalTool.Run(receiveWal, ["--create-slot", "--if-not-exists", "--slot", request.Slot, "--no-password"], variables, null, null, cancel);
        var push = new WalPushOperation(observer);
        Process? receiver = null;
        var restartAt = DateTime.MinValue;
        using var repository = request.Push.Repository.Open();
        var heartbeat = new ArchiverHeartbeatWriter(repository, request.Push.Cell, WalArchive.EngineName, request.Interval, observer);
        string? position = null;
        void Pushed(WalPushResult result)
        {
            position = result.Pushed.LastOrDefault() ?? position;
            pushed(result);
        }
        try
        {
            while (true)
            {
                if (receiver is { HasExited: true })
                {
                    observer.Warning($"pg_receivewal stopped (exit code {receiver.ExitCode}); restarting it in {request.Interval.TotalSeconds:0} s. {string.Join(' ', _receiverLog.TakeLast(3))}");
                    receiver.Dispose();
                    receiver = null;
                    restartAt = DateTime.UtcNow + request.Interval;
                }
                if (receiver is null && DateTime.UtcNow >= restartAt) receiver = StartReceiver(receiveWal, request, variables);
                FlushReceiverLog();
                Snapshot(request.Push.Spool);
                // Stopped mid-push: that batch is abandoned (never complete, its files still spooled) and pushed below.
                try { foreach (var result in push.Run(request.Push, cancel)) Pushed(result); }
                catch (OperationCanceledException) when (cancel.IsCancellationRequested) { break; }
                heartbeat.Beat(position);
                if (cancel.WaitHandle.WaitOne(request.Interval)) break;
            }
        }
        finally
        {
            StopReceiver(receiver);
        }
        // Stopped: what was received reaches the repository before we return (the slot keeps the rest on the server).
        Snapshot(request.Push.Spool);
        foreach (var result in push.Run(request.Push, CancellationToken.None)) Pushed(result);
        heartbeat.Stopped(position);
    }

    private Process StartReceiver(string receiveWal, WalStreamRequest request, Dictionary<string, string> variables)
    {
        var start = new ProcessStartInfo(receiveWal) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // -n: on a lost connection it exits and this loop restarts it (with a pause) instead of retrying silently.
        foreach (var a in new[] { "-D", request.Push.Spool, "--slot", request.Slot, "--synchronous", "-n", "--no-password", "-v" }) start.ArgumentList.Add(a);
        foreach (var (k, v) in variables) start.Environment[k] = v;
        var process = Process.Start(start) ?? throw new BackupToolsException("ExternalToolFailed", FailureKind.ExternalToolFailure, "pg_receivewal did not start.");
        process.ErrorDataReceived += (_, e) => { if (e.Data != null) _receiverLog.Enqueue(e.Data); };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        observer.Verbose($"pg_receivewal (pid {process.Id}) streams slot {request.Slot} into {request.Push.Spool}.");
        return process;
    }

    private void FlushReceiverLog()
    {
        while (_receiverLog.Count > 20 && _receiverLog.TryDequeue(out _)) { }
        foreach (var line in _receiverLog) observer.Verbose(line);
    }

    private static void StopReceiver(Process? receiver)
    {
        if (receiver is null) return;
        // --synchronous: everything it confirmed is already fsynced; nothing is lost by not waiting for it.
        try { if (!receiver.HasExited) receiver.Kill(); } catch (InvalidOperationException) { }
        receiver.WaitForExit(10_000);
        receiver.Dispose();
    }

    /// <summary>
    /// Copies the segment being received into the spool as a snapshot when it holds more WAL than the last one. The
    /// file is a whole segment (pg_receivewal pads it with zeros), so recovery can read it in place of the segment.
    /// </summary>
    private void Snapshot(string spool)
    {
        var files = System.IO.Directory.EnumerateFiles(spool).Select(Path.GetFileName).OfType<string>()
            .Select(n => WalFileName.TryParse(n, out var f) ? f : (WalFileName?)null).OfType<WalFileName>();
        if (WalPushOperation.ReceivingPartial(files) is not { } partial) return;
        byte[] content;
        try { content = File.ReadAllBytes(Path.Combine(spool, partial)); }
        catch (FileNotFoundException) { return; } // completed and renamed meanwhile: pushed as a segment
        var written = WrittenBytes(content);
        var segment = partial[..24];
        if (written == 0 || _snapshotted.GetValueOrDefault(segment) >= written) return;
        var name = WalFileName.SnapshotName(segment, written);
        var temp = Path.Combine(spool, $".{name}.{Environment.ProcessId}.tmp");
        File.WriteAllBytes(temp, content);
        File.Move(temp, Path.Combine(spool, name), overwrite: true);
        _snapshotted[segment] = written;
        observer.Verbose($"Snapshot of {partial}: {written} bytes of WAL.");
    }

    /// <summary>WAL is written front to back into a zeroed file: the end of the last non-zero byte.</summary>
    public static long WrittenBytes(ReadOnlySpan<byte> segment) => segment.LastIndexOfAnyExcept((byte)0) + 1;

    [GeneratedRegex("^[a-z0-9_]{1,63}$")]
    private static partial Regex SlotName();
}
