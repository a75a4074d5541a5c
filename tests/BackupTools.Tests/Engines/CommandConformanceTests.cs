using System.Security.Cryptography;
using BackupTools.Core.Engines.Command;
using BackupTools.Core.Operations;
using BackupTools.Core.Repository;
using BackupTools.Core.Verification;
using Xunit;

namespace BackupTools.Tests.Engines;

/// <summary>
/// A command source against the conformance suite: the backup command prints a data file (after using a token from its
/// environment), the restore command stages what it reads and renames it into place only when the whole stream arrived.
/// A command engine takes no safety backup: only the operator's command knows what it replaces.
/// </summary>
public sealed class CommandConformanceTests : EngineConformanceTests
{
    private const string Token = "conformance-command-token-5d1e";
    private const string BackupCommand = "printf %s \"$TOKEN\" | sha256sum > /dev/null && cat \"$DATA\"";
    private const string RestoreCommand = "cat > \"$DATA.part\" && mv \"$DATA.part\" \"$DATA\"";

    public CommandConformanceTests()
    {
        var content = new byte[6 << 20];
        new Random(5).NextBytes(content);
        File.WriteAllBytes(DataFile, content);
    }

    private string DataFile => Temp.Sub("app.dat");
    private Dictionary<string, string> Environment => new() { ["DATA"] = DataFile, ["TOKEN"] = Token };

    protected override string Engine => CommandBackupOperation.EngineName;
    protected override string? Secret => Token;
    protected override string? DumpTool => "sh -c";
    protected override bool TakesSafetyBackup => false;
    protected override RestoreTestTarget RestoreTestTarget => new(null, null, null, null, null, null);

    private CommandBackupRequest Request(CommandSource source) => new(new RepositoryReference(Repo), "app", source, TimeSpan.FromMinutes(1), null, Keys, LockTimeout);

    protected override BackupRecord Backup(IOperationObserver observer, CancellationToken cancel) =>
        new CommandBackupOperation(observer).Run(Request(new CommandSource(BackupCommand, Environment: Environment)), cancel);

    protected override string Fingerprint() => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(DataFile)));

    protected override void Change()
    {
        using var file = new FileStream(DataFile, FileMode.Open);
        file.Position = 1000;
        file.Write("changed after the backup"u8);
    }

    protected override Func<string, Func<string, string, bool>, string?> Restore => (id, shouldProcess) =>
    {
        new CommandRestoreOperation(Observer).Run(new CommandRestoreRequest(new RepositoryReference(Repo), id, RestoreCommand, Environment, Keys, shouldProcess), CancellationToken.None);
        return null;
    };

    [Fact]
    public void A_quiesce_command_without_a_resume_command_is_warned_about_once()
    {
        new CommandBackupOperation(Observer).Run(Request(new CommandSource(BackupCommand, Quiesce: "true", Environment: Environment)), CancellationToken.None);
        Assert.Single(Observer.Messages, m => m.StartsWith("A quiesce command without a resume command", StringComparison.Ordinal));
    }
}
