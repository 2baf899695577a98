using System.Text;
using CsCheck;
using Datacake.Streams.Api.Queries;
using Datacake.Streams.Api.Retention;

namespace Datacake.Streams.UnitTests.Api.Queries;

/// <summary>
/// No caller text changes the shape of the InfluxQL: with any field names and device ids, the statement outside
/// quotes is exactly the statement built from harmless placeholders, and each quoted part decodes back to the input
/// (device ids too: every device's measurement is named and quoted, docs/DATA-MODEL.md).
/// </summary>
public sealed class SeriesStatementInjectionTests
{
    private static readonly DateTimeOffset s_from = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly char[] s_specials = ['"', '\'', '\\', '\n', '\r', ' ', ';', ',', '(', ')', '/', '*', '-', '=', '.', '\t', 'é', '城', '\0'];
    private static readonly Gen<char> s_nastyChar = Gen.OneOf(Gen.Char['a', 'z'], Gen.Int[0, s_specials.Length - 1].Select(i => s_specials[i]));

    private static readonly Gen<string> s_name = s_nastyChar.Array[1, 12].Select(chars => new string(chars));

    [Fact]
    public void Any_field_names_and_device_ids_keep_the_statement_shape()
    {
        Gen.Select(s_name.Array[1, 4], s_name.Array[1, 3], Gen.Enum<Aggregate>(), Gen.Int[0, 2], Gen.Bool)
            .Sample((fields, devices, aggregate, tierIndex, groupByDevice) =>
            {
                var segment = new TierSegment(StorageTiers.All[tierIndex], s_from, s_from.AddHours(1), tierIndex == 0 && aggregate == Aggregate.Last ? null : TimeSpan.FromHours(1));
                Aggregate? agg = tierIndex == 0 && aggregate == Aggregate.Last ? null : aggregate;
                string[] distinctFields = fields.Distinct(StringComparer.Ordinal).ToArray();
                string statement;
                try
                {
                    statement = SeriesStatement.Build("db\"x", segment, devices, distinctFields, agg, FillMode.Null, groupByDevice, 10);
                }
                catch (ArgumentException)
                {
                    // Refused outright (control characters cannot be spelled in InfluxQL): nothing reaches the server.
                    return Refusable(fields, devices);
                }

                string placeholder = SeriesStatement.Build("db\"x", segment, devices.Select((_, i) => $"d{i}").ToArray(), distinctFields.Select((_, i) => $"f{i}").ToArray(), agg, FillMode.Null, groupByDevice, 10);
                (string outside, List<string> quoted) = Scan(statement);
                (string placeholderOutside, _) = Scan(placeholder);
                return outside == placeholderOutside
                    && !statement.Contains('\n', StringComparison.Ordinal)
                    && distinctFields.All(f => quoted.Contains(f) || quoted.Contains("mean_" + f) || quoted.Contains("min_" + f) || quoted.Contains("max_" + f) || quoted.Contains("count_" + f))
                    && devices.All(quoted.Contains);
            });
    }

    [Fact]
    public void Last_and_present_field_statements_keep_their_shape_too()
    {
        Gen.Select(s_name, s_name.Array[1, 3]).Sample((field, devices) =>
        {
            try
            {
                string last = SeriesStatement.Last("db", devices, field, s_from, null);
                (string outside, List<string> quoted) = Scan(last);
                return outside == Scan(SeriesStatement.Last("db", devices.Select((_, i) => $"d{i}").ToArray(), "f", s_from, null)).Outside
                    && quoted.Contains(field) && devices.All(quoted.Contains);
            }
            catch (ArgumentException)
            {
                return Refusable([field], devices);
            }
        });
    }

    /// <summary>
    /// Identifiers cannot hold any control character: neither field names nor device ids (each device is its
    /// measurement's identifier).
    /// </summary>
    private static bool Refusable(string[] fields, string[] devices) =>
        fields.Any(f => f.Any(char.IsControl)) || devices.Any(d => d.Any(char.IsControl));

    /// <summary>InfluxQL's scanner for quotes: text outside quotes (quoted parts as a marker), and each quoted part decoded.</summary>
    private static (string Outside, List<string> Quoted) Scan(string statement)
    {
        var outside = new StringBuilder();
        var quoted = new List<string>();
        for (int i = 0; i < statement.Length; i++)
        {
            char c = statement[i];
            if (c is not ('"' or '\''))
            {
                outside.Append(c);
                continue;
            }

            var part = new StringBuilder();
            int j = i + 1;
            for (; j < statement.Length && statement[j] != c; j++)
            {
                if (statement[j] == '\\')
                {
                    j++;
                    Assert.True(j < statement.Length, "dangling escape");
                    part.Append(statement[j] == 'n' ? '\n' : statement[j]);
                }
                else
                {
                    part.Append(statement[j]);
                }
            }

            Assert.True(j < statement.Length, "unterminated quote: " + statement);
            outside.Append(c).Append('…').Append(c);
            quoted.Add(part.ToString());
            i = j;
        }

        return (outside.ToString(), quoted);
    }

}
