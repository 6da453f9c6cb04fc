"""The sample data set's generator and the calibration it is measured against."""
