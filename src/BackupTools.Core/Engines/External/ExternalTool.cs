using System.Diagnostics;
using System.Text;
using BackupTools.Core.Errors;

namespace BackupTools.Core.Engines.External;

/// <summary>
/// Runs a database tool (pg_dump, pg_restore, mariadb-dump…) with secrets only in its environment,
/// streaming its stdout into a destination or its stdin from a source. Cancellation kills it. A failed
/// run raises ExternalToolFailed with the tail of its stderr (the tools never print passwords there).
/// Every tool whose stdout is streamed gets DumpOutputTuning (1 MiB stdio buffer and pipe); for the small
/// outputs (--version, pg_restore --list, crontab -l) that changes nothing but the number of writes.
/// </summary>
public static class ExternalTool
{
    private const int StderrTailBytes = 8 * 1024;

    public sealed record Result(int ExitCode, string Stderr);

    public static Result Run(string executable, IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment,
        Stream? stdout, Stream? stdin, CancellationToken cancel, bool throwOnFailure = true)
    {
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin != null,
            UseShellExecute = false,
        };
        foreach (var a in arguments) start.ArgumentList.Add(a);
        foreach (var (k, v) in environment) start.Environment[k] = v;
        if (stdout != null) DumpOutputTuning.ApplyTo(start);
        using var process = Process.Start(start) ?? throw new BackupToolsException("ExternalToolFailed", FailureKind.ExternalToolFailure, $"{Path.GetFileName(executable)} did not start.");
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
                if (stderr.Length > StderrTailBytes * 2) stderr.Remove(0, stderr.Length - StderrTailBytes);
            }
        };
        process.BeginErrorReadLine();
        if (stdout != null) DumpOutputTuning.EnlargePipe(process.StandardOutput.BaseStream);
        using var kill = cancel.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
        var feeder = stdin is null ? Task.CompletedTask : Task.Run(() =>
        {
            try { stdin.CopyTo(process.StandardInput.BaseStream, 1 << 20); }
            catch (IOException) { /* the tool exited early; its exit code tells why */ }
            finally { try { process.StandardInput.Close(); } catch (IOException) { } }
        });
        Exception? copyFailure = null;
        try
        {
            if (stdout != null) process.StandardOutput.BaseStream.CopyTo(stdout, 1 << 20);
            else process.StandardOutput.BaseStream.CopyTo(Stream.Null);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            copyFailure = e;
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        }
        process.WaitForExit();
        try { feeder.GetAwaiter().GetResult(); }
        catch (Exception e) when (copyFailure is null) { copyFailure = e; }
        cancel.ThrowIfCancellationRequested();
        if (copyFailure is BackupToolsException) throw copyFailure;
        if (copyFailure != null) throw new BackupToolsException("ExternalToolFailed", FailureKind.ExternalToolFailure,
            $"Streaming {Path.GetFileName(executable)}'s data failed: {copyFailure.Message}", inner: copyFailure);
        string tail;
        lock (stderr) tail = stderr.ToString().Trim();
        if (throwOnFailure && process.ExitCode != 0)
            throw new BackupToolsException("ExternalToolFailed", FailureKind.ExternalToolFailure,
                $"{Path.GetFileName(executable)} failed with exit code {process.ExitCode}: {Last(tail, 1500)}",
                "Nothing was recorded. Fix the cause shown above and run again.");
        return new Result(process.ExitCode, tail);
    }

    private static string Last(string text, int max) => text.Length <= max ? text : "…" + text[^max..];
}
