using Datacake.Streams.ReliabilityReport;

return ReportCommand.Run(args, Console.Out, Console.Error, TimeProvider.System);
