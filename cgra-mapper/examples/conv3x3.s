# 3x3 valid convolution of one 6x8 int32 plane -> 4x6 outputs (row-major), on a 4x4 OpenEdgeCGRA.
# PE(i,j), i,j < 3, holds weight w[i][j] in R1 and the address of its input pixel in R0.
# Column j's read pointer -> [w[0][j], w[1][j], w[2][j], a(0,j), a(1,j), a(2,j)] with
# a(i,j) = input + 4*(i*8 + j); column 1's write pointer -> the output plane.
# Per output: 9 loads, 9 multiplies, reduce along rows into column 1, then down into PE(1,1), store.
# PE(3,0) counts output columns (6), PE(3,1) output rows (4).
arch 4x4
kernel 1 name=conv3x3 cols=3
step 0
  LWD R1, 4           | LWD R1, 4            | LWD R1, 4           # weights
  LWD R1, 4           | LWD R1, 4            | LWD R1, 4
  LWD R1, 4           | LWD R1, 4            | LWD R1, 4
  SADD R0, 6, ZERO    | SADD R0, 4, ZERO     | NOP                 # counters
step 1
  LWD R0, 4           | LWD R0, 4            | LWD R0, 4           # input addresses
  LWD R0, 4           | LWD R0, 4            | LWD R0, 4
  LWD R0, 4           | LWD R0, 4            | LWD R0, 4
  NOP                 | NOP                  | NOP
step 2 pixel:
  LWI ROUT, R0        | LWI ROUT, R0         | LWI ROUT, R0        # x
  LWI ROUT, R0        | LWI ROUT, R0         | LWI ROUT, R0
  LWI ROUT, R0        | LWI ROUT, R0         | LWI ROUT, R0
  SSUB R0, R0, 1      | NOP                  | NOP
step 3
  SMUL R2, R1, ROUT   | SMUL R2, R1, ROUT    | SMUL R2, R1, ROUT   # w * x (R2 and ROUT)
  SMUL R2, R1, ROUT   | SMUL R2, R1, ROUT    | SMUL R2, R1, ROUT
  SMUL R2, R1, ROUT   | SMUL R2, R1, ROUT    | SMUL R2, R1, ROUT
  NOP                 | NOP                  | NOP
step 4
  SADD R0, R0, 4      | SADD ROUT, RCL, RCR  | SADD R0, R0, 4      # left + right products
  SADD R0, R0, 4      | SADD ROUT, RCL, RCR  | SADD R0, R0, 4
  SADD R0, R0, 4      | SADD ROUT, RCL, RCR  | SADD R0, R0, 4
  NOP                 | NOP                  | NOP
step 5
  NOP                 | SADD R3, ROUT, R2    | NOP                 # row sums
  NOP                 | SADD R3, ROUT, R2    | NOP
  NOP                 | SADD R3, ROUT, R2    | NOP
  NOP                 | NOP                  | NOP
step 6
  NOP                 | NOP                  | NOP
  NOP                 | SADD ROUT, RCT, R3   | NOP                 # row 0 + row 1
  NOP                 | NOP                  | NOP
  NOP                 | NOP                  | NOP
step 7
  NOP                 | SADD R0, R0, 4       | NOP
  NOP                 | SADD ROUT, ROUT, RCB | NOP                 # + row 2
  NOP                 | SADD R0, R0, 4       | NOP
  NOP                 | NOP                  | NOP
step 8
  NOP                 | NOP                  | NOP
  NOP                 | SWD ROUT, 4          | NOP                 # out[r][c]
  NOP                 | NOP                  | NOP
  NOP                 | NOP                  | NOP
step 9
  NOP                 | NOP                  | NOP
  NOP                 | SADD R0, R0, 4       | NOP
  NOP                 | NOP                  | NOP
  BNE R0, ZERO, pixel | NOP                  | NOP                 # next output column
step 10
  SADD R0, R0, 8      | SADD R0, R0, 8       | SADD R0, R0, 8      # skip to the next input row
  SADD R0, R0, 8      | SADD R0, R0, 8       | SADD R0, R0, 8
  SADD R0, R0, 8      | SADD R0, R0, 8       | SADD R0, R0, 8
  SADD R0, 6, ZERO    | SSUB R0, R0, 1       | NOP
step 11
  NOP                 | NOP                  | NOP
  NOP                 | NOP                  | NOP
  NOP                 | NOP                  | NOP
  NOP                 | BNE R0, ZERO, pixel  | NOP                 # next output row
step 12
  EXIT                | NOP                  | NOP
  NOP                 | NOP                  | NOP
  NOP                 | NOP                  | NOP
  NOP                 | NOP                  | NOP
end
