"""Survey results (Veiligheidsmonitor) per wijk: indicators, editions, comparisons, charts."""
