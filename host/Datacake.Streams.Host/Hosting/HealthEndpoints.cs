using System.Text.Json;
using Datacake.Streams.Api.Access;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Datacake.Streams.Hosting;

public static class HealthEndpoints
{
    /// <summary>Tag of the checks that decide /readyz: the dependencies a node needs to do its work.</summary>
    public const string ReadyTag = "ready";

    /// <summary>Tag of the checks that decide /healthz: a part of this process that stayed broken past its limit.</summary>
    public const string LiveTag = "live";

    /// <summary>
    /// <c>/healthz</c>: the process is up and nothing in it has stayed broken past its limit (only checks tagged
    /// <see cref="LiveTag"/>: processing down past <c>Processing:DownLimit</c>; no dependency is checked, so an
    /// orchestrator does not restart a node because InfluxDB is down). <c>/readyz</c>: the record log and InfluxDB answer. The checks' details (InfluxDB's
    /// version, error texts, the pipeline's counters) go to the operator token only: to anyone else they tell which
    /// versions to attack and how busy the deployment is, so an anonymous prober gets the status code and one word.
    /// </summary>
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/healthz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(LiveTag),
            ResponseWriter = WriteReadinessAsync,
        });
        endpoints.MapHealthChecks("/readyz", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(ReadyTag),
            ResponseWriter = WriteReadinessAsync,
        });
        return endpoints;
    }

    private static Task WriteReadinessAsync(HttpContext context, HealthReport report)
    {
        // A wrong token spends the address's failure budget inside the check, like every operator endpoint; whatever
        // the verdict short of the operator, the answer is the same word, so /readyz tells nothing about the token.
        if (context.RequestServices.GetService<IOperatorCheck>()?.Check(context).IsOperator == true)
        {
            return WriteAsync(context, report);
        }

        context.Response.ContentType = "text/plain; charset=utf-8";
        return context.Response.WriteAsync(report.Status.ToString().ToLowerInvariant());
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        using var json = new Utf8JsonWriter(context.Response.BodyWriter);
        json.WriteStartObject();
        json.WriteString("status", report.Status.ToString().ToLowerInvariant());
        json.WriteStartObject("checks");
        foreach (var (name, entry) in report.Entries)
        {
            json.WriteStartObject(name);
            json.WriteString("status", entry.Status.ToString().ToLowerInvariant());
            if (entry.Description is { } description)
            {
                json.WriteString("description", description);
            }

            json.WriteNumber("ms", (long)entry.Duration.TotalMilliseconds);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
        json.Flush();
        return Task.CompletedTask;
    }
}
