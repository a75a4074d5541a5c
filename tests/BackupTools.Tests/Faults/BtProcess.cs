using System.Diagnostics;
using BackupTools.Tests.Infrastructure;

namespace BackupTools.Tests.Faults;

/// <summary>The runner (./bt) as a child process: a separate pid that a test can time out or SIGKILL.</summary>
public sealed class BtProcess : IDisposable
{
    private readonly Process _process;
    private readonly Task<string> _stdout;
    private readonly Task<string> _stderr;

    public BtProcess(string command, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Path.Combine(RepoPaths.Root, "bin", "runner", "btrun.dll"));
        psi.ArgumentList.Add("-Command");
        psi.ArgumentList.Add(command);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        _process = Process.Start(psi)!;
        _process.StandardInput.Close();
        _stdout = _process.StandardOutput.ReadToEndAsync();
        _stderr = _process.StandardError.ReadToEndAsync();
    }

    /// <summary>
    /// Defines `CoreType 'Full.Name'` for a command: the core loads in the module's own AssemblyLoadContext, whose
    /// types PowerShell does not resolve by name, so `[BackupTools.Core.…]` literals do not work in the runner.
    /// </summary>
    public const string CoreTypeFunction =
        "function CoreType([string] $name) { [BackupTools.Loader.PrivateLoadContext]::Instance.LoadFromAssemblyName([Reflection.AssemblyName]::new('BackupTools.Core')).GetType($name, $true) }; ";

    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the exit; null if it did not end in time (then it is killed).</summary>
    public (int Code, string Out, string Err)? Wait(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            return null;
        }
        _process.WaitForExit();
        return (_process.ExitCode, _stdout.Result, _stderr.Result);
    }

    /// <summary>SIGKILL: no finally blocks, no cleanup — what a crash or the OOM killer leaves.</summary>
    public void Kill()
    {
        try { _process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
