using System.Globalization;
using System.Management.Automation.Host;

namespace BackupTools.Runner;

/// <summary>A minimal PowerShell host: enough for -WhatIf text, -Confirm prompts, progress and `exit N`.</summary>
internal sealed class ScriptHost(HostUserInterface ui) : PSHost
{
    public int? ExitCode { get; private set; }

    public override string Name => "BackupTools.Runner";
    public override Version Version => typeof(ScriptHost).Assembly.GetName().Version ?? new Version(0, 1);
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override PSHostUserInterface UI => ui;
    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;

    /// <summary>Called by `exit N` at the top level of the script.</summary>
    public override void SetShouldExit(int exitCode) => ExitCode = exitCode;

    public override void EnterNestedPrompt() => throw new NotSupportedException("Nested prompts are not supported by the runner.");
    public override void ExitNestedPrompt() => throw new NotSupportedException("Nested prompts are not supported by the runner.");
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
}
