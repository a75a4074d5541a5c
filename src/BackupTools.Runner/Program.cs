using BackupTools.Runner;

try
{
    var options = RunnerOptions.Parse(args);
    if (options.Help)
    {
        Console.WriteLine(RunnerOptions.Usage);
        return 0;
    }
    if (options.File != null && !File.Exists(options.File))
    {
        Console.Error.WriteLine($"btrun: script '{options.File}' does not exist.");
        return 1;
    }
    return new ScriptExecution(options).Run();
}
catch (UsageException e)
{
    Console.Error.WriteLine("btrun: " + e.Message);
    Console.Error.WriteLine(RunnerOptions.Usage);
    return RunnerOptions.UsageExitCode;
}
