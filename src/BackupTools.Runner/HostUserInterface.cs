using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text.RegularExpressions;

namespace BackupTools.Runner;

/// <summary>
/// Output to stdout, errors/warnings/progress to stderr. ANSI styling is stripped when stdout is not a
/// terminal (cron logs). Prompts read stdin; when nobody can answer, confirmations are answered No so a
/// scheduled job never hangs.
/// </summary>
internal sealed partial class HostUserInterface(bool interactive) : PSHostUserInterface
{
    private static readonly bool StdoutIsTerminal = !Console.IsOutputRedirected;
    private static readonly bool StderrIsTerminal = !Console.IsErrorRedirected;
    private readonly HostRawUserInterface _raw = new(StdoutIsTerminal);
    private bool _progressLineOpen;

    public bool CanPrompt => interactive && !Console.IsInputRedirected;
    public override PSHostRawUserInterface RawUI => _raw;

    public override void Write(string value) => Out(value);
    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Out(value);
    public override void WriteLine(string value) => Out(value + Environment.NewLine);
    public override void WriteErrorLine(string value) => Err(value);
    public override void WriteWarningLine(string message) => Err("WARNING: " + message);
    public override void WriteVerboseLine(string message) => Err("VERBOSE: " + message);
    public override void WriteDebugLine(string message) => Err("DEBUG: " + message);

    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
        if (!StderrIsTerminal) return;
        lock (this)
        {
            if (record.RecordType == ProgressRecordType.Completed)
            {
                if (_progressLineOpen) Console.Error.Write("\r" + new string(' ', Math.Min(Console.WindowWidth - 1, 119)) + "\r");
                _progressLineOpen = false;
                return;
            }
            var percent = record.PercentComplete >= 0 ? $" {record.PercentComplete}%" : "";
            var line = $"{record.Activity}: {record.StatusDescription}{percent}";
            var width = Math.Max(20, Console.WindowWidth - 1);
            Console.Error.Write("\r" + (line.Length > width ? line[..width] : line.PadRight(width)));
            _progressLineOpen = true;
        }
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        RequireInteractive($"a prompt for {string.Join(", ", descriptions.Select(d => d.Name))}");
        if (!string.IsNullOrEmpty(message)) WriteLine(message);
        var answers = new Dictionary<string, PSObject>();
        foreach (var d in descriptions)
        {
            Write($"{d.Name}: ");
            answers[d.Name] = PSObject.AsPSObject(Console.ReadLine() ?? "");
        }
        return answers;
    }

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        var no = choices.ToList().FindIndex(c => c.Label.Replace("&", "").Equals("No", StringComparison.OrdinalIgnoreCase));
        if (!CanPrompt)
        {
            WriteWarningLine($"{message} — no one can answer this prompt here, so the answer is No. Pass -Confirm:$false to proceed without asking.");
            return no >= 0 ? no : defaultChoice;
        }
        WriteLine(caption);
        WriteLine(message);
        var hotkeys = choices.Select(c => { var i = c.Label.IndexOf('&'); return i >= 0 && i + 1 < c.Label.Length ? c.Label[i + 1].ToString() : c.Label; }).ToList();
        while (true)
        {
            Write(string.Join("  ", choices.Select((c, i) => $"[{hotkeys[i]}] {c.Label.Replace("&", "")}")) + $" (default is \"{hotkeys[Math.Max(0, defaultChoice)]}\"): ");
            var answer = Console.ReadLine();
            if (answer is null) return no >= 0 ? no : defaultChoice;
            if (answer.Length == 0) return defaultChoice;
            var index = hotkeys.FindIndex(h => h.Equals(answer.Trim(), StringComparison.OrdinalIgnoreCase));
            if (index >= 0) return index;
        }
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
    {
        RequireInteractive("a credential prompt",
            "Build the credential in the script instead, e.g. [pscredential]::new($env:S3_ACCESS_KEY, (ConvertTo-SecureString $env:S3_SECRET_KEY -AsPlainText -Force)), or run the script from a terminal.");
        if (string.IsNullOrEmpty(userName)) { Write("User: "); userName = Console.ReadLine() ?? ""; }
        Write($"Password for {userName}: ");
        return new PSCredential(userName, ReadLineAsSecureString());
    }

    public override string ReadLine()
    {
        RequireInteractive("input");
        return Console.ReadLine() ?? "";
    }

    public override SecureString ReadLineAsSecureString()
    {
        RequireInteractive("a secret");
        var secure = new SecureString();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (secure.Length > 0) secure.RemoveAt(secure.Length - 1); continue; }
            secure.AppendChar(key.KeyChar);
        }
        Console.WriteLine();
        secure.MakeReadOnly();
        return secure;
    }

    private void RequireInteractive(string what, string whatToDo = "Pass the value as a parameter.")
    {
        if (!CanPrompt)
            throw new PSInvalidOperationException($"The script asked for {what}, but the runner is not interactive (stdin is not a terminal or -NonInteractive was given). {whatToDo}");
    }

    private void Out(string text)
    {
        lock (this)
        {
            ClearProgress();
            Console.Out.Write(StdoutIsTerminal ? text : Plain(text));
        }
    }

    private void Err(string line)
    {
        lock (this)
        {
            ClearProgress();
            Console.Error.WriteLine(StderrIsTerminal ? line : Plain(line));
        }
    }

    private void ClearProgress()
    {
        if (!_progressLineOpen) return;
        Console.Error.Write("\r" + new string(' ', Math.Min(Console.WindowWidth - 1, 119)) + "\r");
        _progressLineOpen = false;
    }

    private static string Plain(string text) => Ansi().Replace(text, "");

    [GeneratedRegex(@"\x1B\[[0-9;?]*[ -/]*[@-~]")]
    private static partial Regex Ansi();
}
