using Datacake.Streams.BenchPlot;

return PlotCommand.Run(args);
