using BackupTools.Core.Engines.Registry;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;

namespace BackupTools.Core.Engines.Command;

/// <summary>
/// The command engine (Backup-CommandOutput): a dump command's standard output. In a plan: `type: command` with
/// `command:` (required), `verify:`, `quiesce:`, `resume:`, `restore:`; the source's `password:` secret reaches the
/// commands as the environment variable named by `passwordEnv:` (default BT_PASSWORD).
/// </summary>
public static class CommandEngine
{
    public static readonly BackupEngine Descriptor = new()
    {
        Name = CommandBackupOperation.EngineName,
        DisplayName = "command output",
        Validators = new Dictionary<string, IContentValidator> { [BackupManifest.DataRole] = new CommandOutputValidator() },
        RestoreTest = Ability<IRestoreTest>.NotApplicable("only the operator's restore command knows where a command's output can be loaded; its verify command reads the stream at every backup"),
        RestoreCmdlet = "Restore-CommandOutput",
        RestorePriority = RestorePriorities.Database,
        Plan = Ability.Of(new PlanEngineSupport
        {
            Kind = "command",
            Requires = ["command"],
            Options = ["command", "verify", "quiesce", "resume", "restore", "passwordEnv"],
            DefaultPort = null,
            Backup = c => new CommandBackupOperation(c.Observer).Run(new CommandBackupRequest(c.Repository, c.Cell.Name, Source(c.Source, c.Password), TimeSpan.FromMinutes(5),
                null, c.Keys, c.LockTimeout, c.Tags), c.Cancel),
            Restore = c =>
            {
                var restore = c.Source.Option("restore") ?? throw new Errors.BackupInputException("PlanSourceUnsupported", "Plan",
                    $"source {c.Cell.Name}/{c.Source.Name} has no restore: command.", "Add restore: with a command that reads the backup from stdin.");
                var source = Source(c.Source, c.Password);
                // The source's backup command takes the safety backup of what the restore command replaces.
                return new CommandRestoreOperation(c.Observer).Run(new CommandRestoreRequest(c.Repository, c.Manifest.Id, restore, source.Environment, c.Keys, (_, _) => true,
                    new SafetyBackupCommand(source, c.SkipSafetyBackup, c.LockTimeout)), c.Cancel);
            },
            SameSource = (m, s) => m.EngineInfo?["command"]?.GetValue<string>() == s.Option("command"),
            Destination = s => $"command: {s.Option("restore")}",
        }),
    };

    private static CommandSource Source(Plans.PlanSource source, string? password) => new(source.Option("command") ?? "", source.Option("verify"), source.Option("quiesce"),
        source.Option("resume"), password is null ? null : new Dictionary<string, string> { [source.Option("passwordEnv") ?? "BT_PASSWORD"] = password });
}
