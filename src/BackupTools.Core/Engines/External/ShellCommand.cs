using System.Diagnostics;
using System.Text;

namespace BackupTools.Core.Engines.External;

/// <summary>
/// Runs an operator's command line from a plan (restore hooks, health checks, the DR traffic switch) through
/// /bin/sh -c (cmd /c on Windows), with extra environment variables, a timeout, and its output captured
/// (last 16 KiB). A command that outlives its timeout is killed with its children and reported as such.
/// </summary>
public static class ShellCommand
{
    private const int OutputTail = 16 * 1024;

    public sealed record Result(int ExitCode, string Output, bool TimedOut);

    public static Result Run(string command, TimeSpan timeout, CancellationToken cancel, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = OperatingSystem.IsWindows() ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/c", command } } : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } };
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) start.Environment[k] = v;
        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        void Collect(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null) return;
            lock (output)
            {
                output.AppendLine(e.Data);
                if (output.Length > OutputTail * 2) output.Remove(0, output.Length - OutputTail);
            }
        }
        process.OutputDataReceived += Collect;
        process.ErrorDataReceived += Collect;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var kill = cancel.Register(() => { try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { } });
        var finished = process.WaitForExit(timeout);
        if (!finished)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            process.WaitForExit();
        }
        process.WaitForExit(); // drains the output handlers
        cancel.ThrowIfCancellationRequested();
        lock (output) return new Result(finished ? process.ExitCode : -1, output.ToString().Trim(), !finished);
    }
}
