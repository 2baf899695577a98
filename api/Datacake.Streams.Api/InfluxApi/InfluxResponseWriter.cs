using System.Globalization;
using System.Text.Json;

namespace Datacake.Streams.Api.InfluxApi;

/// <summary>
/// InfluxDB 1.x's <c>/query</c> JSON: <c>{"results":[{"statement_id":0,"series":[{"name","tags","columns","values"}]}]}</c>,
/// a statement's error as <c>"error"</c>. Times as <c>epoch</c> asks (ns, u/µ, ms, s, m, h: integers, truncated as
/// InfluxDB does), RFC 3339 with nanoseconds when absent. Chunked: one such object per statement, one per line.
/// </summary>
public static class InfluxResponseWriter
{
    public static async Task WriteAsync(HttpResponse response, IReadOnlyList<InfluxStatementAnswer> answers, string? epoch, bool pretty, bool chunked, CancellationToken cancellationToken)
    {
        long? divisor = epoch switch
        {
            "ns" => 1,
            "u" or "µ" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => null,
        };
        response.ContentType = "application/json";
        var options = new JsonWriterOptions { Indented = pretty };
        if (chunked)
        {
            foreach (InfluxStatementAnswer answer in answers)
            {
                await using (var writer = new Utf8JsonWriter(response.BodyWriter, options))
                {
                    WriteResults(writer, [answer], divisor);
                }

                await response.BodyWriter.WriteAsync("\n"u8.ToArray(), cancellationToken);
            }

            return;
        }

        await using (var writer = new Utf8JsonWriter(response.BodyWriter, options))
        {
            WriteResults(writer, answers, divisor);
        }

        await response.BodyWriter.WriteAsync("\n"u8.ToArray(), cancellationToken);
    }

    /// <summary><c>{"error":"…"}</c> with a status: authentication, a parse error, a missing <c>q</c>.</summary>
    public static IResult Error(int status, string message) =>
        Results.Json(new Dictionary<string, string> { ["error"] = message }, statusCode: status);

    private static void WriteResults(Utf8JsonWriter writer, IReadOnlyList<InfluxStatementAnswer> answers, long? divisor)
    {
        writer.WriteStartObject();
        writer.WriteStartArray("results");
        foreach (InfluxStatementAnswer answer in answers)
        {
            writer.WriteStartObject();
            writer.WriteNumber("statement_id", answer.StatementId);
            if (answer.Series.Count > 0)
            {
                writer.WriteStartArray("series");
                foreach (InfluxAnswerSeries series in answer.Series)
                {
                    WriteSeries(writer, series, divisor);
                }

                writer.WriteEndArray();
            }

            if (answer.Error is { } error)
            {
                writer.WriteString("error", error);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteSeries(Utf8JsonWriter writer, InfluxAnswerSeries series, long? divisor)
    {
        writer.WriteStartObject();
        if (series.Name.Length > 0)
        {
            writer.WriteString("name", series.Name);
        }

        if (series.Tags is { Count: > 0 } tags)
        {
            writer.WriteStartObject("tags");
            foreach ((string key, string value) in tags)
            {
                writer.WriteString(key, value);
            }

            writer.WriteEndObject();
        }

        writer.WriteStartArray("columns");
        foreach (string column in series.Columns)
        {
            writer.WriteStringValue(column);
        }

        writer.WriteEndArray();
        writer.WriteStartArray("values");
        bool time = series.HasTime;
        IReadOnlyList<long>? times = series.Times;
        for (int r = 0; r < series.Values.Count; r++)
        {
            JsonElement[] row = series.Values[r];
            writer.WriteStartArray();
            for (int i = 0; i < row.Length; i++)
            {
                if (i == 0 && time && (times is not null || row[0].ValueKind == JsonValueKind.Number))
                {
                    long ns = times is not null ? times[r] : row[0].GetInt64();
                    if (divisor is { } unit)
                    {
                        writer.WriteNumberValue(ns / unit);
                    }
                    else
                    {
                        writer.WriteStringValue(Rfc3339(ns));
                    }
                }
                else
                {
                    row[i].WriteTo(writer);
                }
            }

            writer.WriteEndArray();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>Go's RFC3339Nano as InfluxDB prints it: trailing zeros of the fraction dropped, no fraction when whole.</summary>
    public static string Rfc3339(long nanoseconds)
    {
        long seconds = Math.DivRem(nanoseconds, 1_000_000_000, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += 1_000_000_000;
        }

        string whole = DateTimeOffset.FromUnixTimeSeconds(seconds).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        return fraction == 0 ? whole + "Z" : whole + "." + fraction.ToString("D9", CultureInfo.InvariantCulture).TrimEnd('0') + "Z";
    }
}
