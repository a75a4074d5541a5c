using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace BackupTools.Tests.Infrastructure;

/// <summary>
/// The real PowerShell engine, in-process, with ./BackupTools.psd1 imported: tests run the same
/// pipelines users type. Variables passed in are set in the runspace before the script runs.
/// </summary>
public sealed class PsSession : IDisposable
{
    private readonly Runspace _runspace;

    public PsSession()
    {
        var state = InitialSessionState.CreateDefault2();
        state.ImportPSModule(RepoPaths.ModuleManifest);
        _runspace = RunspaceFactory.CreateRunspace(state);
        _runspace.Open();
    }

    public PsResult Run(string script, IDictionary<string, object?>? variables = null)
    {
        using var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        foreach (var (name, value) in variables ?? new Dictionary<string, object?>())
            _runspace.SessionStateProxy.SetVariable(name, value);
        ps.AddScript(script);
        Collection<PSObject> output;
        Exception? thrown = null;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException e)
        {
            output = new Collection<PSObject>();
            thrown = e;
        }
        return new PsResult(output.Select(o => o?.BaseObject).ToList(), ps.Streams.Error.ToList(), ps.Streams.Warning.Select(w => w.Message).ToList(), thrown);
    }

    /// <summary>A pipeline on this session's runspace, for tests that invoke asynchronously and Stop() it.</summary>
    public System.Management.Automation.PowerShell Create(string script)
    {
        var ps = System.Management.Automation.PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        return ps;
    }

    public void Dispose() => _runspace.Dispose();
}

public sealed record PsResult(IReadOnlyList<object?> Output, IReadOnlyList<ErrorRecord> Errors, IReadOnlyList<string> Warnings, Exception? Thrown)
{
    public IEnumerable<T> Objects<T>() => Output.OfType<T>();
    public T Single<T>() => Assert.Single(Objects<T>());
    public IEnumerable<string> ErrorIds => Errors.Select(e => e.FullyQualifiedErrorId.Split(',')[0]);

    public PsResult AssertNoErrors()
    {
        Assert.True(Thrown is null && Errors.Count == 0,
            "Expected no errors, got: " + string.Join(" | ", Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)) + Thrown?.Message);
        return this;
    }

    public ErrorRecord AssertError(string errorId)
    {
        var match = Errors.FirstOrDefault(e => e.FullyQualifiedErrorId.Split(',')[0] == errorId);
        Assert.True(match != null, $"Expected error {errorId}, got: " + string.Join(" | ", Errors.Select(e => e.FullyQualifiedErrorId + ": " + e.Exception.Message)) + Thrown?.Message);
        return match!;
    }
}
