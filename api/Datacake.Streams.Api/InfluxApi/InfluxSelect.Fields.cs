using Datacake.Streams.Api.Access;
using Datacake.Streams.Api.InfluxApi.Language;
using Datacake.Streams.Api.Queries;

namespace Datacake.Streams.Api.InfluxApi;

public sealed partial class InfluxSelect
{
    /// <summary>Functions InfluxDB 1.6 has that read fields only: aggregates, selectors and transformations.</summary>
    private static readonly HashSet<string> _functions = new(StringComparer.Ordinal)
    {
        "count", "distinct", "integral", "mean", "median", "mode", "spread", "stddev", "sum",
        "bottom", "first", "last", "max", "min", "percentile", "sample", "top",
        "abs", "acos", "asin", "atan", "atan2", "ceil", "cos", "cumulative_sum", "derivative", "difference", "elapsed",
        "exp", "floor", "ln", "log", "log2", "log10", "moving_average", "non_negative_derivative",
        "non_negative_difference", "pow", "round", "sin", "sqrt", "tan",
    };

    /// <summary>Only fields, numbers, durations, math and the functions above; never a tag (they are not stored as such).</summary>
    private static void CheckFields(SelectStatement statement)
    {
        foreach (SelectField field in statement.Fields)
        {
            Check(field.Expression, topLevel: true);
        }

        static void Check(InfluxExpr expression, bool topLevel)
        {
            switch (expression)
            {
                case VarRef reference when reference.Cast == "tag" || (reference.Cast is null && VirtualSchema.IsTag(reference.Name)):
                    throw new InfluxStatementException($"the tag {reference.Name} is selected with GROUP BY \"{reference.Name}\" here, not as a field");
                case VarRef reference when reference.Name.Equals("time", StringComparison.OrdinalIgnoreCase):
                    if (!topLevel)
                    {
                        throw new InfluxStatementException("time cannot be used in an expression");
                    }

                    throw new InfluxStatementException("time is always the first column: select fields only");
                case VarRef:
                case WildcardExpr:
                case NumberLiteral:
                case IntegerLiteral:
                case DurationLiteral:
                    return;
                case ParenExpr paren:
                    Check(paren.Inner, topLevel: false);
                    return;
                case BinaryExpr { Operator: BinaryOperator.Add or BinaryOperator.Subtract or BinaryOperator.Multiply or BinaryOperator.Divide or BinaryOperator.Modulo } math:
                    Check(math.Left, topLevel: false);
                    Check(math.Right, topLevel: false);
                    return;
                case CallExpr call when _functions.Contains(call.Name):
                    foreach (InfluxExpr argument in call.Arguments)
                    {
                        Check(argument, topLevel: false);
                    }

                    return;
                case CallExpr call:
                    throw new InfluxStatementException($"undefined function {call.Name}()");
                default:
                    throw new InfluxStatementException("unsupported field expression: fields, numbers, + - * / % and functions only");
            }
        }
    }

    private static bool ContainsCall(InfluxExpr expression) => expression switch
    {
        CallExpr => true,
        ParenExpr paren => ContainsCall(paren.Inner),
        BinaryExpr binary => ContainsCall(binary.Left) || ContainsCall(binary.Right),
        _ => false,
    };

    /// <summary>How output series are formed from the GROUP BY tags.</summary>
    private sealed record Grouping(IReadOnlyList<string> Tags)
    {
        public bool PerDevice => Tags.Contains(VirtualSchema.DeviceTag) || Tags.Contains(VirtualSchema.DeviceIdTag);

        public bool PerWorkspace => !PerDevice && Tags.Contains(VirtualSchema.WorkspaceTag);

        public static Grouping Of(SelectStatement statement)
        {
            var tags = new SortedSet<string>(StringComparer.Ordinal);
            foreach (Dimension dimension in statement.GroupBy)
            {
                if (dimension is WildcardDimension)
                {
                    tags.UnionWith(VirtualSchema.Tags);
                }
                else if (dimension is TagDimension tag)
                {
                    tags.Add(tag.Name);
                }
            }

            return new Grouping([.. tags]);
        }

        /// <summary>The series' tags, as InfluxDB gives them (sorted); null without tag grouping.</summary>
        public IReadOnlyDictionary<string, string>? TagsOf(ReadableDevice device)
        {
            if (Tags.Count == 0)
            {
                return null;
            }

            var tags = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (string tag in Tags)
            {
                tags[tag] = VirtualSchema.TagValue(device, tag);
            }

            return tags;
        }
    }

    /// <summary>
    /// A SELECT that <see cref="SeriesReader"/> answers as <c>/series</c> does: one aggregate of the closed list over
    /// plain fields, GROUP BY time of whole milliseconds without offset (or none), no field conditions, fill other than a number.
    /// </summary>
    private sealed record PlainAggregate(Aggregate Aggregate, IReadOnlyList<string> Fields, IReadOnlyList<string> Columns, TimeSpan? Every, FillMode Fill)
    {
        public static PlainAggregate? Of(SelectStatement statement, IReadOnlyList<InfluxExpr> fieldConditions)
        {
            if (fieldConditions.Count > 0 || statement.Fill is { Kind: FillKind.Number })
            {
                return null;
            }

            TimeSpan? every = null;
            if (statement.Interval is { } interval)
            {
                if (interval.Offset != 0 || interval.Interval % 1_000_000 != 0)
                {
                    return null;
                }

                every = TimeSpan.FromTicks(interval.Interval / 100);
            }

            Aggregate? aggregate = null;
            var fields = new List<string>();
            var columns = new List<string>();
            foreach (SelectField field in statement.Fields)
            {
                if (field.Expression is not CallExpr { Arguments: [VarRef { Cast: null } reference] } call
                    || !QueryVocabulary.TryParseAggregate(call.Name, out Aggregate which)
                    || (aggregate is { } first && first != which)
                    || !SeriesParameters.IsFieldName(reference.Name)
                    || fields.Contains(reference.Name, StringComparer.Ordinal))
                {
                    return null;
                }

                aggregate = which;
                fields.Add(reference.Name);
                string column = field.Alias ?? call.Name;
                string unique = column;
                for (int n = 1; columns.Contains(unique, StringComparer.Ordinal); n++)
                {
                    unique = FormattableString.Invariant($"{column}_{n}");
                }

                columns.Add(unique);
            }

            FillMode fill = statement.Fill?.Kind switch
            {
                FillKind.None => FillMode.None,
                FillKind.Previous => FillMode.Previous,
                FillKind.Linear => FillMode.Linear,
                _ => FillMode.Null,
            };
            return aggregate is { } chosen ? new PlainAggregate(chosen, fields, columns, every, fill) : null;
        }
    }
}
