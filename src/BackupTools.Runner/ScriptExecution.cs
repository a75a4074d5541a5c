using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace BackupTools.Runner;

/// <summary>Runs one script or command in a fresh runspace with the module imported; returns the exit code.</summary>
internal sealed class ScriptExecution(RunnerOptions options)
{
    public const int InterruptedExitCode = 130;

    public int Run()
    {
        var ui = new HostUserInterface(interactive: !options.NonInteractive);
        var host = new ScriptHost(ui);
        // CreateDefault (not CreateDefault2): the standard cmdlets are registered straight from the SDK's
        // assemblies, so scripts written for pwsh run without a $PSHOME/Modules folder to auto-load from.
        var state = InitialSessionState.CreateDefault();
        if (!options.NoModule)
        {
            var module = ModuleLocator.Find(options.ModulePath);
            if (module is null || !File.Exists(module))
            {
                ui.WriteErrorLine($"btrun: cannot find the BackupTools module ({module ?? ModuleLocator.ManifestName}). Build it with `dotnet build BackupTools.sln`, or pass -Module <path to BackupTools.psd1>.");
                return 1;
            }
            state.ImportPSModule(module);
        }
        using var runspace = RunspaceFactory.CreateRunspace(host, state);
        runspace.Open();
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        if (Console.IsOutputRedirected)
            ps.AddScript("if ($PSStyle) { $PSStyle.OutputRendering = 'PlainText' }").Invoke();
        ps.Commands.Clear();
        if (runspace.InitialSessionState.Modules.Count > 0 && ModuleImportFailed(ps, ui)) return 1;

        ps.Streams.Error.DataAdded += (_, e) => ui.WriteErrorLine(ErrorText(ps.Streams.Error[e.Index]));
        ps.AddScript(options.File is null ? options.Command! : FileInvocation(options.File, options.ScriptArguments));
        ps.AddCommand("Out-Default");

        var interrupted = false;
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; interrupted = true; ps.BeginStop(null, null); };
        Console.CancelKeyPress += onCancel;
        var threw = false;
        try
        {
            ps.Invoke();
        }
        catch (RuntimeException e)
        {
            threw = true;
            ui.WriteErrorLine(ErrorText(e.ErrorRecord));
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
        if (interrupted) return InterruptedExitCode;
        if (host.ExitCode is { } exit) return exit;
        var scriptExit = ScriptExitCode(runspace);
        if (scriptExit is > 0) return scriptExit.Value;
        var errorCount = runspace.SessionStateProxy.GetVariable("Error") is System.Collections.ICollection list ? list.Count : 0;
        return ps.HadErrors || threw || errorCount > 0 ? 1 : 0;
    }

    /// <summary>`pwsh -File` semantics: named (-Name value) and positional arguments pass through to the script.</summary>
    private static string FileInvocation(string file, IReadOnlyList<string> args)
    {
        var path = Path.GetFullPath(file);
        var parts = args.Select(a => a.Length > 1 && a[0] == '-' && char.IsLetter(a[1]) && !a.Contains(' ') ? a : Quote(a));
        return $"$global:LASTEXITCODE = 0; & {Quote(path)} {string.Join(' ', parts)}";
    }

    private static int? ScriptExitCode(Runspace runspace) =>
        runspace.SessionStateProxy.GetVariable("LASTEXITCODE") is int code ? code : null;

    private static string Quote(string value) => "'" + value.Replace("'", "''") + "'";

    /// <summary>An import that fails inside InitialSessionState only shows up as a missing module: say so clearly.</summary>
    private static bool ModuleImportFailed(PowerShell ps, HostUserInterface ui)
    {
        var loaded = ps.AddScript("Get-Module").Invoke();
        ps.Commands.Clear();
        if (loaded.Count > 0) return false;
        ui.WriteErrorLine("btrun: the module manifest was found but did not import; build the module with `dotnet build BackupTools.sln`.");
        return true;
    }

    private static string ErrorText(ErrorRecord error)
    {
        var command = error.InvocationInfo?.MyCommand?.Name;
        var message = error.ErrorDetails?.Message ?? error.Exception.Message;
        var text = (string.IsNullOrEmpty(command) ? "" : command + ": ") + message;
        if (error.InvocationInfo?.PositionMessage is { Length: > 0 } position && error.Exception is ParseException or IncompleteParseException)
            text += Environment.NewLine + position;
        text += Environment.NewLine + $"    + {error.CategoryInfo.Category}: {error.FullyQualifiedErrorId}";
        if (error.ErrorDetails?.RecommendedAction is { Length: > 0 } action) text += Environment.NewLine + "    + what to do: " + action;
        return text;
    }
}
