using System.Diagnostics;
using System.Text;
using BackupTools.Core.Engines.External;

namespace BackupTools.Core.Engines.Command;

/// <summary>
/// One operator command line run by /bin/sh -c (cmd /c on Windows) with its standard streams wired to ours:
/// stdin from a stream (or empty, never the host's console), stdout into a stream (or discarded), the last
/// 8 KiB of stderr kept for the error message. The environment is the only way values reach it besides the
/// command line itself. Cancellation kills it with its children.
/// </summary>
public sealed class ShellStream : IDisposable
{
    private const int StderrTail = 8 * 1024;
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stdoutPump;
    private readonly CancellationTokenRegistration _kill;

    private ShellStream(string command, IReadOnlyDictionary<string, string> environment, Stream? stdout, CancellationToken cancel)
    {
        var start = OperatingSystem.IsWindows() ? new ProcessStartInfo("cmd.exe") { ArgumentList = { "/c", command } } : new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", command } };
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        foreach (var (k, v) in environment) start.Environment[k] = v;
        if (stdout != null) DumpOutputTuning.ApplyTo(start);
        _process = Process.Start(start) ?? throw new InvalidOperationException("/bin/sh did not start");
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (_stderr)
            {
                _stderr.AppendLine(e.Data);
                if (_stderr.Length > StderrTail * 2) _stderr.Remove(0, _stderr.Length - StderrTail);
            }
        };
        _process.BeginErrorReadLine();
        _kill = cancel.Register(Kill);
        var output = _process.StandardOutput.BaseStream;
        if (stdout != null) DumpOutputTuning.EnlargePipe(output);
        _stdoutPump = Task.Run(() => output.CopyTo(stdout ?? Stream.Null, 1 << 20));
    }

    /// <summary>Starts the command; write its input to <see cref="Input"/> (or call <see cref="CloseInput"/>).</summary>
    public static ShellStream Start(string command, IReadOnlyDictionary<string, string> environment, Stream? stdout, CancellationToken cancel) =>
        new(command, environment, stdout, cancel);

    public Stream Input => _process.StandardInput.BaseStream;

    /// <summary>Whether the command stopped reading (exited, or closed its stdin): further input is dropped.</summary>
    public bool InputClosed { get; private set; }

    /// <summary>Writes to the command's stdin; a command that stopped reading only stops receiving (its exit code tells).</summary>
    public void Feed(ReadOnlySpan<byte> bytes)
    {
        if (InputClosed) return;
        try { Input.Write(bytes); }
        catch (IOException) { InputClosed = true; }
    }

    public void CloseInput()
    {
        try { _process.StandardInput.Close(); } catch (IOException) { }
        InputClosed = true;
    }

    /// <summary>Closes stdin, waits for the exit and for stdout to drain. Exceptions from the stdout sink are rethrown.</summary>
    public (int ExitCode, string Stderr) Finish()
    {
        CloseInput();
        try { _stdoutPump.GetAwaiter().GetResult(); }
        catch (Exception) { Kill(); _process.WaitForExit(); throw; }
        _process.WaitForExit();
        lock (_stderr) return (_process.ExitCode, _stderr.ToString().Trim());
    }

    private void Kill()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
    }

    public void Dispose()
    {
        if (!_process.HasExited) { Kill(); _process.WaitForExit(); }
        _kill.Dispose();
        _process.Dispose();
    }

    /// <summary>The end of a stderr text, short enough for an error message.</summary>
    public static string Tail(string text, int max = 1500) => text.Length <= max ? text : "…" + text[^max..];
}
