using BackupTools.Core.Alerts;
using BackupTools.Core.Operations;

namespace BackupTools.Core.Plans;

/// <summary>
/// Sends a plan run's outcome to the plan's alert channels: one message per channel per run, failures first with
/// step, source and error. Channels marked onFailureOnly (the default) hear only about failures, and only when
/// there are some; the local alert log always gets the whole run. A failing channel is reported, never fatal.
/// </summary>
public static class PlanAlerts
{
    public static IReadOnlyList<AlertResult> Send(BackupPlanDefinition plan, IReadOnlyList<PlanSourceResult> sources, IReadOnlyList<string> planFailures,
        IOperationObserver observer, CancellationToken cancel)
    {
        var events = sources.Select(Event).Concat(planFailures.Where(f => !sources.Any(s => f.StartsWith($"{s.Cell}/{s.Source} ", StringComparison.Ordinal)))
            .Select(f => new AlertEvent { Outcome = AlertOutcome.Failed, Kind = "Plan", Step = f.Split(':')[0], Summary = f })).ToList();
        var all = new AlertBatch(events);
        var failuresOnly = new AlertBatch(events.Where(e => e.IsFailure));
        var results = new List<AlertResult>();
        var dispatcher = new AlertDispatcher(observer);
        var everything = plan.Alerts.Where(a => !a.OnFailureOnly).Select(a => Channel(a, observer)).OfType<IAlertChannel>().ToList();
        var onFailure = plan.Alerts.Where(a => a.OnFailureOnly).Select(a => Channel(a, observer)).OfType<IAlertChannel>().ToList();
        results.AddRange(dispatcher.Send(all, everything, AlertLog.DefaultPath(), TimeSpan.FromSeconds(30), cancel));
        if (failuresOnly.Events.Count > 0 && onFailure.Count > 0)
            results.AddRange(dispatcher.Send(failuresOnly, onFailure, AlertLog.DefaultPath(), TimeSpan.FromSeconds(30), cancel));
        return results;
    }

    private static AlertEvent Event(PlanSourceResult r) => r.Succeeded
        ? new AlertEvent { Outcome = AlertOutcome.Succeeded, Kind = "Backup", Cell = r.Cell, Source = r.Source, BackupId = r.BackupId, Summary = $"{r.Cell}/{r.Source}: backed up {r.BackupId}{(r.CopiedTo.Length > 0 ? ", copied to " + string.Join(", ", r.CopiedTo) : "")}" }
        : new AlertEvent { Outcome = AlertOutcome.Failed, Kind = "Backup", Cell = r.Cell, Source = $"{r.Cell}/{r.Source}", Step = r.FailedStep, ErrorId = r.ErrorId, Error = r.Error, BackupId = r.BackupId, Summary = $"{r.Cell}/{r.Source}: {r.FailedStep} failed" };

    /// <summary>A plan channel with its secrets resolved; a channel whose secret is missing is skipped with a warning.</summary>
    private static IAlertChannel? Channel(PlanAlertChannel a, IOperationObserver observer)
    {
        try
        {
            return a.Kind switch
            {
                "email" => new SmtpChannel(new SmtpSettings
                {
                    Server = a.SmtpServer!, Port = a.SmtpPort, From = a.From!, To = a.To, UserName = a.User,
                    Password = SecretResolver.Resolve(a.Password, "alerts.password"), UseStartTls = a.StartTls,
                }) { Name = a.Name },
                "slack" => new SlackChannel(new Uri(SecretResolver.Resolve(a.Url, "alerts.url")!)) { Name = a.Name },
                "wecom" => new WeComChannel(new Uri(SecretResolver.Resolve(a.Url, "alerts.url")!)) { Name = a.Name },
                "dingtalk" => new DingTalkChannel(new Uri(SecretResolver.Resolve(a.Url, "alerts.url")!), SecretResolver.Resolve(a.Secret, "alerts.secret")) { Name = a.Name },
                _ => new WebhookChannel(new Uri(SecretResolver.Resolve(a.Url, "alerts.url")!)) { Name = a.Name },
            };
        }
        catch (Exception e) when (e is Errors.BackupToolsException or UriFormatException or ArgumentException)
        {
            observer.Warning($"Alert channel {a.Name} ({a.Kind}) skipped: {e.Message}");
            return null;
        }
    }
}
